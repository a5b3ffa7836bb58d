package io.stapled.config;

import java.util.Collection;
import java.util.Locale;

/** "Did you mean ...?" for unknown keys: the closest known key within an edit distance of 2. */
final class KeyHints {

    static final int MAX_DISTANCE = 2;

    private KeyHints() {
    }

    /** The known key closest to {@code typed}, or null when none is within {@link #MAX_DISTANCE}. */
    static String closest(String typed, Collection<String> known) {
        String t = typed.toLowerCase(Locale.ROOT).replace('-', '_');
        String best = null;
        int bestDistance = MAX_DISTANCE + 1;
        for (String k : known) {
            int d = distance(t, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best;
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}

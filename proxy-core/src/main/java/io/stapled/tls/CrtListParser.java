package io.stapled.tls;

import static io.stapled.text.OneLine.oneLine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.stapled.config.CertificateSource;
import io.stapled.ocsp.RegularFiles;

/**
 * Reads an HAProxy crt-list: {@code <crt> [ssl-options] [[!]sni-filter ...]} per line, {@code #}
 * comments and blank lines ignored. The bracket options are read by {@link CrtListOptions}: every option
 * is applied, refused with the file and line, or (when it cannot matter in stapled) accepted with a
 * warning; none is ignored silently, because an option HAProxy would honour that is dropped without a
 * word would serve something else than asked.
 */
public final class CrtListParser {
    /** Some 50,000 lines of a typical length: far beyond any real crt-list. */
    static final int MAX_FILE_BYTES = 4 << 20;

    private CrtListParser() { }

    public static List<CrtListEntry> parse(Path file) {
        return parse(file, null);
    }

    /**
     * @param crtBase where relative entries start (HAProxy's {@code crt-base}); null means the crt-list's
     *                directory
     */
    public static List<CrtListEntry> parse(Path file, Path crtBase) {
        List<String> lines;
        try {
            lines = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(RegularFiles.read(file, MAX_FILE_BYTES)))
                    .toString().lines().toList();
        } catch (RegularFiles.NotRegularException | RegularFiles.TooLargeException e) {
            throw new TlsSetupException(file + ": cannot read crt-list: " + e.getMessage(), e);
        } catch (CharacterCodingException e) {
            throw new TlsSetupException(file + ": cannot read crt-list: not valid UTF-8", e);
        } catch (NoSuchFileException e) {
            throw new TlsSetupException(file + ": no such crt-list file", e);
        } catch (AccessDeniedException e) {
            throw new TlsSetupException(file + ": cannot read crt-list: permission denied", e);
        } catch (IOException e) {
            throw new TlsSetupException(file + ": cannot read crt-list: " + oneLine(e), e);
        }
        Path base = crtBase != null ? crtBase : file.toAbsolutePath().getParent();
        List<CrtListEntry> entries = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            entries.add(parseStripped(file, i + 1, line, base));
        }
        if (entries.isEmpty()) {
            throw new TlsSetupException(file + ": crt-list names no certificate");
        }
        return List.copyOf(entries);
    }

    /**
     * One line of {@code list} as if it stood at {@code lineNo} (a line added at runtime, {@code add ssl
     * crt-list}): the same rules and messages ({@code list:lineNo: ...}) as a line read from the file; a
     * relative certificate path is resolved against {@code crtBase}, or the list's directory when it is null.
     *
     * @throws TlsSetupException for a line that is blank, a comment, or not valid
     */
    public static CrtListEntry parseLine(Path list, int lineNo, String line, Path crtBase) {
        String stripped = line.strip();
        if (stripped.isEmpty() || stripped.startsWith("#")) {
            throw new TlsSetupException(list + ":" + lineNo + ": no certificate on the line");
        }
        return parseStripped(list, lineNo, stripped, crtBase != null ? crtBase : list.toAbsolutePath().getParent());
    }

    private static CrtListEntry parseStripped(Path file, int lineNo, String line, Path base) {
        String where = file + ":" + lineNo;
        int end = firstWhitespace(line);
        String crt = line.substring(0, end);
        if (crt.startsWith("@")) {
            throw new TlsSetupException(where + ": " + CertificateSource.crtStoreReference(crt));
        }
        String rest = line.substring(end).strip();
        Boolean ocspUpdate = null;
        List<String> alpn = List.of();
        TlsOverrides tls = TlsOverrides.NONE;
        if (rest.startsWith("[")) {
            int close = rest.indexOf(']');
            if (close < 0) {
                throw new TlsSetupException(where + ": '[' without a closing ']'");
            }
            CrtListOptions o = new CrtListOptions(where, base);
            o.parse(tokens(rest.substring(1, close)));
            rest = rest.substring(close + 1).strip();
            ocspUpdate = o.ocspUpdate;
            alpn = o.alpn;
            tls = o.overrides();
        } else if (rest.contains("[") || rest.contains("]")) {
            throw new TlsSetupException(where + ": options in [brackets] must come right after the file name");
        }
        List<String> sni = new ArrayList<>();
        List<String> excluded = new ArrayList<>();
        for (String filter : tokens(rest)) {
            if (filter.startsWith("!")) {
                if (filter.length() == 1) {
                    throw new TlsSetupException(where + ": '!' without a name");
                }
                excluded.add(X509Facts.normalize(filter.substring(1)));
            } else {
                sni.add(X509Facts.normalize(filter));
            }
        }
        Path crtPath = Path.of(crt);
        if (!crtPath.isAbsolute()) {
            crtPath = base.resolve(crtPath);
        }
        return new CrtListEntry(crtPath.normalize(), lineNo, ocspUpdate, alpn, sni, excluded, tls);
    }

    private static int firstWhitespace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return s.length();
    }

    private static String[] tokens(String s) {
        String t = s.strip();
        return t.isEmpty() ? new String[0] : t.split("\\s+");
    }
}

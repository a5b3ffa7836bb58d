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
import java.util.Arrays;
import java.util.List;

import io.stapled.ocsp.RegularFiles;

/**
 * Reads an HAProxy crt-list: {@code <crt> [ssl-options] [[!]sni-filter ...]} per line, {@code #}
 * comments and blank lines ignored. Of the bracket options stapled understands {@code ocsp-update}
 * and {@code alpn}; any other option is an error naming the file and line, because silently ignoring
 * an option HAProxy would honour (a cipher list, client auth) would serve something else than asked.
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
            entries.add(parseLine(file, i + 1, line, base));
        }
        if (entries.isEmpty()) {
            throw new TlsSetupException(file + ": crt-list names no certificate");
        }
        return List.copyOf(entries);
    }

    private static CrtListEntry parseLine(Path file, int lineNo, String line, Path base) {
        String where = file + ":" + lineNo;
        int end = firstWhitespace(line);
        String crt = line.substring(0, end);
        String rest = line.substring(end).strip();
        Boolean ocspUpdate = null;
        List<String> alpn = List.of();
        if (rest.startsWith("[")) {
            int close = rest.indexOf(']');
            if (close < 0) {
                throw new TlsSetupException(where + ": '[' without a closing ']'");
            }
            String[] opts = tokens(rest.substring(1, close));
            rest = rest.substring(close + 1).strip();
            for (int i = 0; i < opts.length; i++) {
                String name = opts[i];
                if (i + 1 >= opts.length) {
                    throw new TlsSetupException(where + ": option '" + name + "' needs a value");
                }
                String value = opts[++i];
                switch (name) {
                    case "ocsp-update" -> ocspUpdate = switch (value) {
                        case "on" -> Boolean.TRUE;
                        case "off" -> Boolean.FALSE;
                        default -> throw new TlsSetupException(
                                where + ": ocsp-update must be 'on' or 'off', not '" + value + "'");
                    };
                    case "alpn" -> alpn = Arrays.stream(value.split(",")).filter(s -> !s.isEmpty()).toList();
                    default -> throw new TlsSetupException(where + ": unsupported crt-list option '" + name
                            + "' (stapled supports ocsp-update and alpn)");
                }
            }
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
        return new CrtListEntry(crtPath.normalize(), lineNo, ocspUpdate, alpn, sni, excluded);
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

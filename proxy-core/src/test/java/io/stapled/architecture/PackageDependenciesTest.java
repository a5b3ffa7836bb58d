package io.stapled.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * Reads the imports of the main sources of every module and checks the layering rules of
 * docs/ARCHITECTURE.md: no package depends on a package that depends back on it, and the OCSP engine
 * never sees Netty. Same-package references need no import, so the graph is built from imports and
 * fully qualified {@code io.stapled.} names, which is what a cycle has to go through.
 */
class PackageDependenciesTest {
    private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
    private static final Pattern STAPLED_REF = Pattern.compile("\\b(io\\.stapled(?:\\.[a-z]\\w*)+)\\.[A-Z]");
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void noPackageCycles() {
        Map<String, Set<String>> graph = dependencyGraph();
        assertTrue(graph.size() > 10, "found the sources: " + graph.keySet());
        List<List<String>> cycles = new ArrayList<>();
        for (List<String> component : stronglyConnected(graph)) {
            if (component.size() > 1) {
                cycles.add(component);
            }
        }
        assertEquals(List.of(), cycles, "package cycles (each list depends on itself through its members)");
    }

    @Test
    void ocspEngineHasNoNettyImport() throws IOException {
        List<String> offenders = new ArrayList<>();
        for (Path file : javaFiles(ROOT.resolve("ocsp/src/main/java"))) {
            if (Files.readString(file).contains("import io.netty.")) {
                offenders.add(ROOT.relativize(file).toString());
            }
        }
        assertEquals(List.of(), offenders);
    }

    @Test
    void theCheckFindsACycle() {
        Map<String, Set<String>> graph = Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"), "d", Set.of("a"));
        assertEquals(List.of(List.of("a", "b", "c")),
                stronglyConnected(graph).stream().filter(c -> c.size() > 1).toList());
    }

    private static Map<String, Set<String>> dependencyGraph() {
        Map<String, Set<String>> graph = new TreeMap<>();
        for (String module : List.of("ocsp", "proxy-core", "testkit", "benchmarks")) {
            Path sources = ROOT.resolve(module).resolve("src/main/java");
            if (!Files.isDirectory(sources)) {
                continue;
            }
            for (Path file : javaFiles(sources)) {
                String text;
                try {
                    text = Files.readString(file);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                Matcher p = PACKAGE.matcher(text);
                if (!p.find()) {
                    continue;
                }
                String pkg = p.group(1);
                Set<String> deps = graph.computeIfAbsent(pkg, k -> new TreeSet<>());
                Matcher ref = STAPLED_REF.matcher(text);
                while (ref.find()) {
                    if (!ref.group(1).equals(pkg)) {
                        deps.add(ref.group(1));
                    }
                }
            }
        }
        return graph;
    }

    private static List<Path> javaFiles(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Tarjan's algorithm; each component sorted, components in discovery order. */
    static List<List<String>> stronglyConnected(Map<String, Set<String>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<List<String>> out = new ArrayList<>();
        int[] counter = {0};
        for (String v : new TreeSet<>(graph.keySet())) {
            if (!index.containsKey(v)) {
                connect(v, graph, index, low, stack, onStack, out, counter);
            }
        }
        return out;
    }

    private static void connect(String v, Map<String, Set<String>> graph, Map<String, Integer> index,
                                Map<String, Integer> low, Deque<String> stack, Set<String> onStack,
                                List<List<String>> out, int[] counter) {
        index.put(v, counter[0]);
        low.put(v, counter[0]++);
        stack.push(v);
        onStack.add(v);
        for (String w : new TreeSet<>(graph.getOrDefault(v, Set.of()))) {
            if (!index.containsKey(w)) {
                connect(w, graph, index, low, stack, onStack, out, counter);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            List<String> component = new ArrayList<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            component.sort(null);
            out.add(component);
        }
    }
}

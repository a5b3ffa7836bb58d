package io.stapled.config;

import static io.stapled.text.OneLine.oneLine;

import io.stapled.ocsp.RegularFiles;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Reads the YAML configuration into a validated {@link StapledConfig}, or throws a {@link ConfigException}
 * listing every problem in the file, each with its line and key path.
 *
 * <p>The YAML is only <em>composed</em> into nodes (scalars, lists, mappings with their positions); no
 * object is ever constructed from a YAML tag, so a config file cannot instantiate anything. Alias
 * expansion, nesting depth and document size are capped so a hostile file cannot exhaust memory.
 */
public final class ConfigLoader {

    /** Loader switches; the defaults are the safe ones. */
    public enum Option {
        /**
         * Do not check that certificate files and directories exist. For validating a config away from the
         * machine it will run on; a server must never start with this.
         */
        SKIP_FILE_CHECKS
    }

    private static final Set<Tag> ALLOWED_TAGS = Set.of(Tag.STR, Tag.INT, Tag.FLOAT, Tag.BOOL, Tag.NULL, Tag.SEQ,
            Tag.MAP, Tag.MERGE, Tag.TIMESTAMP);

    static final int MAX_FILE_BYTES = 1 << 20;
    static final int MAX_ALIASES_FOR_COLLECTIONS = 20;
    static final int MAX_NESTING_DEPTH = 32;

    private ConfigLoader() {
    }

    /**
     * Loads and validates {@code file}; relative paths in it are resolved against its directory.
     *
     * @throws ConfigException listing every problem found (unreadable file, YAML syntax, unknown keys, bad
     *                         values, missing certificate files, dangling references ...)
     */
    public static StapledConfig load(Path file) {
        return load(file, new Option[0]);
    }

    /** {@link #load(Path)} with {@link Option}s. */
    public static StapledConfig load(Path file, Option... options) {
        return parse(read(file), file, options);
    }

    /**
     * Validates YAML text as if it had been read from {@code nameForMessages}: that name is used in error
     * messages and its directory is where relative paths are resolved.
     *
     * @throws ConfigException listing every problem found
     */
    public static StapledConfig parse(String yaml, Path nameForMessages) {
        return parse(yaml, nameForMessages, new Option[0]);
    }

    /** {@link #parse(String, Path)} with {@link Option}s. */
    public static StapledConfig parse(String yaml, Path nameForMessages, Option... options) {
        Set<Option> set = options.length == 0 ? EnumSet.noneOf(Option.class) : EnumSet.copyOf(List.of(options));
        LoadContext context = new LoadContext(nameForMessages, !set.contains(Option.SKIP_FILE_CHECKS));
        YamlValue root = root(yaml, context, "the file is empty; it needs at least frontends and backends");
        StapledConfig config = new StapledConfigBinder(context).bind(root);
        if (context.hasErrors()) {
            throw new ConfigException(context.errors());
        }
        return config;
    }

    /**
     * Loads and validates the file of {@code stapled staple --config}; relative paths in it are resolved
     * against its directory.
     *
     * @throws ConfigException listing every problem found
     */
    public static StapleConfig loadStaple(Path file) {
        return parseStaple(read(file), file);
    }

    /** {@link #loadStaple(Path)} from text, as if read from {@code nameForMessages}. */
    public static StapleConfig parseStaple(String yaml, Path nameForMessages, Option... options) {
        Set<Option> set = options.length == 0 ? EnumSet.noneOf(Option.class) : EnumSet.copyOf(List.of(options));
        LoadContext context = new LoadContext(nameForMessages, !set.contains(Option.SKIP_FILE_CHECKS));
        YamlValue root = root(yaml, context, "the file is empty; it needs a staple: section");
        StapleConfig config = new StapleConfigBinder(context).bind(root);
        if (context.hasErrors()) {
            throw new ConfigException(context.errors());
        }
        return config;
    }

    /**
     * Loads the file of {@code stapled staple --fleet-config}: a {@code fleet:} section exactly as in the
     * proxy's config, and nothing else.
     *
     * @throws ConfigException listing every problem found
     */
    public static FleetConfig loadStapleFleet(Path file) {
        return parseStapleFleet(read(file), file);
    }

    /** {@link #loadStapleFleet(Path)} from text, as if read from {@code nameForMessages}. */
    public static FleetConfig parseStapleFleet(String yaml, Path nameForMessages, Option... options) {
        Set<Option> set = options.length == 0 ? EnumSet.noneOf(Option.class) : EnumSet.copyOf(List.of(options));
        LoadContext context = new LoadContext(nameForMessages, !set.contains(Option.SKIP_FILE_CHECKS));
        YamlValue root = root(yaml, context, "the file is empty; it needs a fleet: section");
        FleetConfig fleet = new StapleConfigBinder(context).bindFleetOnly(root);
        if (context.hasErrors()) {
            throw new ConfigException(context.errors());
        }
        return fleet;
    }

    /** The composed document, checked for tags; throws with every error found so far. */
    private static YamlValue root(String yaml, LoadContext context, String whenEmpty) {
        Node root = compose(yaml, context);
        if (context.hasErrors()) {
            throw new ConfigException(context.errors());
        }
        if (root == null) {
            context.error(0, "", whenEmpty);
            throw new ConfigException(context.errors());
        }
        rejectUnusualTags(root, context, Collections.newSetFromMap(new IdentityHashMap<>()));
        if (context.hasErrors()) {
            throw new ConfigException(context.errors());
        }
        return new YamlValue(root, "", context);
    }

    private static String read(Path file) {
        try {
            byte[] bytes = RegularFiles.read(file, MAX_FILE_BYTES);
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (RegularFiles.NotRegularException e) {
            throw single(file, "file is " + e.kind() + ", not a regular file");
        } catch (RegularFiles.TooLargeException e) {
            throw single(file, "file is too large (" + (e.size() > e.limit() ? e.size() + " bytes, " : "")
                    + "the limit is " + Sizes.format(MAX_FILE_BYTES) + ")");
        } catch (NoSuchFileException e) {
            throw single(file, "file not found");
        } catch (CharacterCodingException e) {
            throw single(file, "file is not valid UTF-8");
        } catch (IOException e) {
            throw single(file, "cannot read the file: " + e);
        }
    }

    private static ConfigException single(Path file, String message) {
        return new ConfigException(List.of(new ConfigError(file, 0, "", message)));
    }

    private static Node compose(String yaml, LoadContext context) {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(MAX_ALIASES_FOR_COLLECTIONS);
        options.setAllowRecursiveKeys(false);
        options.setNestingDepthLimit(MAX_NESTING_DEPTH);
        options.setCodePointLimit(MAX_FILE_BYTES);
        options.setMergeOnCompose(false);
        options.setTagInspector(tag -> false);
        try {
            return new Yaml(options).compose(new StringReader(yaml));
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            StringBuilder message = new StringBuilder("YAML syntax error: ").append(e.getProblem());
            if (e.getContext() != null) {
                message.append(" (").append(e.getContext());
                if (e.getContextMark() != null && mark != null
                        && e.getContextMark().getLine() != mark.getLine()) {
                    message.append(" started on line ").append(e.getContextMark().getLine() + 1);
                }
                message.append(')');
            }
            context.error(mark == null ? 0 : mark.getLine() + 1, "", oneLine(message.toString()));
            return null;
        } catch (YAMLException e) {
            context.error(0, "", oneLine("YAML error: " + e.getMessage()));
            return null;
        }
    }

    /**
     * Nothing is ever constructed from a tag, but a tag such as {@code !secret} in a config suggests the
     * author expects something to happen, and nothing would; better to say so.
     */
    private static void rejectUnusualTags(Node node, LoadContext context, Set<Node> seen) {
        if (!seen.add(node)) {
            return;
        }
        if (!ALLOWED_TAGS.contains(node.getTag())) {
            context.error(node.getStartMark().getLine() + 1, "",
                    "YAML tag " + node.getTag() + " is not allowed; stapled reads plain values only");
        }
        if (node instanceof SequenceNode seq) {
            seq.getValue().forEach(child -> rejectUnusualTags(child, context, seen));
        } else if (node instanceof MappingNode map) {
            for (NodeTuple t : map.getValue()) {
                rejectUnusualTags(t.getKeyNode(), context, seen);
                rejectUnusualTags(t.getValueNode(), context, seen);
            }
        }
    }
}

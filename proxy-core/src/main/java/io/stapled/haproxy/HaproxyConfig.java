package io.stapled.haproxy;

import java.util.List;

/**
 * A parsed HAProxy configuration: its sections in file order, and the lines that came before any section.
 */
public record HaproxyConfig(List<HaproxySection> sections, List<HaproxyLine> outsideSections) {
    public HaproxyConfig {
        sections = List.copyOf(sections);
        outsideSections = List.copyOf(outsideSections);
    }
}

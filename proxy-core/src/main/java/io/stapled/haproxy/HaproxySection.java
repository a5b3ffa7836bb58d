package io.stapled.haproxy;

import java.util.List;

/**
 * A section of an HAProxy configuration: {@code global}, {@code defaults}, {@code frontend NAME},
 * {@code backend NAME}, {@code listen NAME} or one stapled has no counterpart for.
 *
 * @param kind   the section keyword
 * @param name   the name after it, or null ({@code global}, an unnamed {@code defaults})
 * @param header the section's own line
 * @param lines  the lines inside it, in order
 */
public record HaproxySection(String kind, String name, HaproxyLine header, List<HaproxyLine> lines) {
    public HaproxySection {
        lines = List.copyOf(lines);
    }
}

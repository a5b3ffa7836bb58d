package io.stapled.haproxy;

/** Why a line (or a part of it) has no stapled equivalent; caught where the line is listed as skipped. */
final class Untranslatable extends Exception {
    private static final long serialVersionUID = 1L;

    Untranslatable(String reason) {
        super(reason, null, false, false);
    }
}

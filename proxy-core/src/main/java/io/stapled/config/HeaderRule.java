package io.stapled.config;

import com.google.re2j.Pattern;

/**
 * One entry of {@code request_headers:} or {@code response_headers:}, as HAProxy's
 * {@code http-request set-header / add-header / del-header}. Rules run in the order written.
 */
public sealed interface HeaderRule {

    /** Replaces every field of the name with one. */
    record Set(String name, HeaderTemplate value) implements HeaderRule { }

    /** Appends a field, keeping those already there. */
    record Add(String name, HeaderTemplate value) implements HeaderRule { }

    /** Removes every field of the name. */
    record Delete(String name) implements HeaderRule { }

    /** Removes every field whose name matches (RE2, case-insensitive). */
    record DeleteRegex(Pattern names) implements HeaderRule { }
}

package io.stapled.ocsp;

/**
 * The last update result of a certificate, with the same words HAProxy prints in
 * {@code show ssl ocsp-updates} so scripts that grep for them keep working.
 */
public enum UpdateResult {
    UNKNOWN(0, "Unknown"),
    OK(1, "Update successful"),
    HTTP_ERROR(2, "HTTP error"),
    // HAProxy's 3, 'Missing "ocsp-response" header', is not used: stapled reads any body as the response
    CHECK_FAILURE(4, "OCSP response check failure"),
    INSERT_ERROR(5, "Error during insertion");

    private final int code;
    private final String text;

    UpdateResult(int code, String text) {
        this.code = code;
        this.text = text;
    }

    /** HAProxy's status code ({@code show ssl ocsp-updates}, the {@code <OCSP-UPDATE>} log line). */
    public int code() {
        return code;
    }

    public String text() {
        return text;
    }
}

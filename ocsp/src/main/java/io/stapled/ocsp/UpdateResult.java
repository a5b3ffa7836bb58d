package io.stapled.ocsp;

/**
 * The last update result of a certificate, with the same words HAProxy prints in
 * {@code show ssl ocsp-updates} so scripts that grep for them keep working.
 */
public enum UpdateResult {
    UNKNOWN("Unknown"),
    OK("Update successful"),
    HTTP_ERROR("HTTP error"),
    CHECK_FAILURE("OCSP response check failure"),
    INSERT_ERROR("Error during insertion");

    private final String text;

    UpdateResult(String text) {
        this.text = text;
    }

    public String text() {
        return text;
    }
}

package io.stapled.admin;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * What the runtime API needs from the OCSP engine. {@link OcspManagerAdmin} implements it over
 * {@code io.stapled.ocsp.OcspManager}.
 */
public interface OcspAdmin {

    /** Every certificate the engine manages, in a stable order. */
    List<OcspEntry> entries();

    /**
     * Verifies a pushed OCSP response (DER) and, if it is good for one managed certificate, makes it
     * that certificate's staple. Never throws for bad input: the outcome says what was wrong.
     */
    PushOutcome push(byte[] der);

    /** Fetches a fresh response for {@code id} now; completes when it is verified and stored, or failed. */
    CompletionStage<RefreshReport> refresh(String id);

    /**
     * The result of {@link #push}.
     *
     * @param accepted true if the response is now the staple of {@code id}
     * @param id       the certificate it was routed to, or null
     * @param message  why it was refused (one line, HAProxy's text where one exists), or null
     */
    record PushOutcome(boolean accepted, String id, String message) {
        public static PushOutcome accepted(String id) {
            return new PushOutcome(true, id, null);
        }

        public static PushOutcome refused(String message) {
            return new PushOutcome(false, null, message);
        }
    }

    /** The result of {@link #refresh}: success, or the error in one line. */
    record RefreshReport(boolean success, String message) { }
}

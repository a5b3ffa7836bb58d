package io.stapled.admin;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** What {@code show fleet} reads: this member's view of its fleet. Blocking (it asks the store). */
public interface FleetAdmin {

    /** One managed certificate: who holds its fetch lease now (null: nobody), when it last took a staple from the store. */
    record CertificateLine(String id, String leaseHolder, Instant lastSync) { }

    /**
     * @param members  members whose heartbeat the store holds (empty when it is away)
     * @param counters name → value, in display order
     */
    record Snapshot(String node, String url, boolean connected, Instant since, String problem,
                    List<String> members, Map<String, Long> counters, List<CertificateLine> certificates) { }

    Snapshot snapshot();
}

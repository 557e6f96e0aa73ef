package dev.ledger.domain.account;

import java.time.Instant;
import java.util.Objects;

/**
 * Who caused a change and when: the answer an auditor needs for "who did this?".
 *
 * @param occurredAt when the service accepted the command, in UTC; it comes in with the command
 *                   because the domain reads no clock
 * @param requestId  the id the service gave the client's idempotent request
 * @param clientId   the authenticated client that sent it
 */
public record Origin(Instant occurredAt, String requestId, String clientId) {

    public Origin {
        Objects.requireNonNull(occurredAt, "occurredAt");
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(clientId, "clientId");
    }
}

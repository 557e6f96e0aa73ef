package dev.ledger.infra.inbox;

import java.util.Objects;

/** Idempotency keys are scoped per client: two clients may use the same key independently. */
public record InboxKey(String clientId, String idempotencyKey) {

    public InboxKey {
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    }
}

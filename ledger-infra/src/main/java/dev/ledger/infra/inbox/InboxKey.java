package dev.ledger.infra.inbox;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import java.io.Serializable;
import java.util.Objects;

/** Idempotency keys are scoped per client: two clients may use the same key independently. */
@Embeddable
public class InboxKey implements Serializable {

    @Column(name = "client_id", nullable = false, length = 64)
    private String clientId;

    @Column(name = "idempotency_key", nullable = false, length = 255)
    private String idempotencyKey;

    protected InboxKey() {
    }

    public InboxKey(String clientId, String idempotencyKey) {
        this.clientId = Objects.requireNonNull(clientId, "clientId");
        this.idempotencyKey = Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    }

    public String clientId() {
        return clientId;
    }

    public String idempotencyKey() {
        return idempotencyKey;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof InboxKey that
                && clientId.equals(that.clientId) && idempotencyKey.equals(that.idempotencyKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(clientId, idempotencyKey);
    }
}

package dev.ledger.infra.inbox;

/** The key was already used for a different request (another path, body or precondition). */
public class IdempotencyKeyReusedException extends RuntimeException {

    public IdempotencyKeyReusedException() {
        super("this Idempotency-Key was already used for a different request", null, false, false);
    }
}

package dev.ledger.infra.inbox;

/** Another request with the same key is being processed right now. */
public class IdempotencyKeyInFlightException extends RuntimeException {

    public IdempotencyKeyInFlightException() {
        super("a request with this Idempotency-Key is still being processed", null, false, false);
    }
}

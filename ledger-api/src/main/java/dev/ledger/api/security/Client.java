package dev.ledger.api.security;

/** An authenticated caller: the id its idempotency keys and events are attributed to, and its role. */
public record Client(String id, Role role) {
}

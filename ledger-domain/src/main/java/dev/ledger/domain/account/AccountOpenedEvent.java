package dev.ledger.domain.account;

import org.axonframework.serialization.Revision;

@Revision("1")
public record AccountOpenedEvent(
        String accountId,
        String currency,
        long overdraftLimit,
        long version,
        long balanceAfter,
        Origin origin) implements AccountEvent {
}

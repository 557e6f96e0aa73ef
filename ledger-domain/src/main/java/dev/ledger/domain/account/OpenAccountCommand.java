package dev.ledger.domain.account;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** Opens an account with a fixed currency and an overdraft limit (0 means none). */
public record OpenAccountCommand(
        @TargetAggregateIdentifier String accountId,
        String currency,
        long overdraftLimit,
        Origin origin) {
}

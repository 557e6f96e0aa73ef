package dev.ledger.domain.account;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/**
 * Credits an account.
 *
 * @param expectedVersion the version the client pinned with {@code If-Match}, or null for none
 */
public record DepositMoneyCommand(
        @TargetAggregateIdentifier String accountId,
        String entryId,
        long amount,
        String currency,
        String reference,
        Long expectedVersion,
        Origin origin) {
}

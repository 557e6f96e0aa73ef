package dev.ledger.domain.account;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/**
 * Debits an account, at most down to minus its overdraft limit.
 *
 * @param expectedVersion the version the client pinned with {@code If-Match}, or null for none
 */
public record WithdrawMoneyCommand(
        @TargetAggregateIdentifier String accountId,
        String entryId,
        long amount,
        String currency,
        String reference,
        Long expectedVersion,
        Origin origin) {
}

package dev.ledger.domain.account;

/**
 * Debits an account, at most down to minus its overdraft limit.
 *
 * @param expectedVersion the version the client pinned with {@code If-Match}, or null for none
 */
public record WithdrawMoneyCommand(
        String accountId,
        String entryId,
        long amount,
        String currency,
        String reference,
        Long expectedVersion,
        Origin origin) implements AccountCommand {
}

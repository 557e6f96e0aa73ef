package dev.ledger.domain.account;

/**
 * Credits an account.
 *
 * @param expectedVersion the version the client pinned with {@code If-Match}, or null for none
 */
public record DepositMoneyCommand(
        String accountId,
        String entryId,
        long amount,
        String currency,
        String reference,
        Long expectedVersion,
        Origin origin) implements AccountCommand {
}

package dev.ledger.domain.account;

/** Opens an account with a fixed currency and an overdraft limit (0 means none). */
public record OpenAccountCommand(
        String accountId,
        String currency,
        long overdraftLimit,
        Origin origin) implements AccountCommand {
}

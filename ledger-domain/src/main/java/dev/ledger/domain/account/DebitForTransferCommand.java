package dev.ledger.domain.account;

/** Takes a transfer's amount from the paying account; its credit is sent in the same transaction. */
public record DebitForTransferCommand(
        String accountId,
        String entryId,
        String transferId,
        String counterpartyAccountId,
        long amount,
        String currency,
        String reference,
        Origin origin) implements AccountCommand {
}

package dev.ledger.domain.account;

/** Gives a transfer's amount to the receiving account; its debit is sent in the same transaction. */
public record CreditForTransferCommand(
        String accountId,
        String entryId,
        String transferId,
        String counterpartyAccountId,
        long amount,
        String currency,
        String reference,
        Origin origin) implements AccountCommand {
}

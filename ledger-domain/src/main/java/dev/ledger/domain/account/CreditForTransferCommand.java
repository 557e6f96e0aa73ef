package dev.ledger.domain.account;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** Gives a transfer's amount to the receiving account; its debit is sent in the same transaction. */
public record CreditForTransferCommand(
        @TargetAggregateIdentifier String accountId,
        String entryId,
        String transferId,
        String counterpartyAccountId,
        long amount,
        String currency,
        String reference,
        Origin origin) {
}

package dev.ledger.domain.account;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** Takes a transfer's amount from the paying account; its credit is sent in the same transaction. */
public record DebitForTransferCommand(
        @TargetAggregateIdentifier String accountId,
        String entryId,
        String transferId,
        String counterpartyAccountId,
        long amount,
        String currency,
        String reference,
        Origin origin) {
}

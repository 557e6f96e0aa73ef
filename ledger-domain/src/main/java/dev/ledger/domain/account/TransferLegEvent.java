package dev.ledger.domain.account;

/** One side of a transfer: both legs of a transfer commit together or not at all. */
public sealed interface TransferLegEvent extends EntryEvent permits TransferDebitedEvent, TransferCreditedEvent {

    String transferId();

    /** The account on the other side of the transfer. */
    String counterpartyAccountId();
}

package dev.ledger.domain.account;

/** An event that moves money on an account. */
public sealed interface EntryEvent extends AccountEvent
        permits MoneyDepositedEvent, MoneyWithdrawnEvent, TransferLegEvent {

    String entryId();

    long amount();

    /** The client's free-text reference, or null. */
    String reference();

    /** The signed change to the balance: positive for credits, negative for debits. */
    long delta();
}

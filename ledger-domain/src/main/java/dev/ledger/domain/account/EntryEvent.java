package dev.ledger.domain.account;

/** An event that moves money on an account. */
public sealed interface EntryEvent extends AccountEvent permits MoneyDepositedEvent, MoneyWithdrawnEvent {

    String entryId();

    long amount();

    /** The client's free-text reference, or null. */
    String reference();
}

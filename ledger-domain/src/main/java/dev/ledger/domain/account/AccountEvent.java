package dev.ledger.domain.account;

/**
 * An event in one account's stream. Every event says the account's version and balance after it,
 * so an auditor can check a history line by line without replaying it.
 */
public sealed interface AccountEvent permits AccountOpenedEvent, EntryEvent {

    String accountId();

    String currency();

    /** The number of events in the stream once this one is applied; 1 for the opening. */
    long version();

    long balanceAfter();

    Origin origin();
}

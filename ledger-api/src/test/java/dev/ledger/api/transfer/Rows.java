package dev.ledger.api.transfer;

import dev.ledger.support.TestDatabase;

/** What the service wrote, read straight from its tables over a connection of the test's own. */
final class Rows {

    private Rows() {
    }

    /** The events in the account's stream, counted in the event store. */
    static long events(String accountId) {
        return count("select count(*) from domain_event_entry where aggregate_identifier = ?", accountId);
    }

    /**
     * The versions written to the outbox for the account: those still in it and those delivered
     * (the relay removes a row once its delivery commits, and the feed then holds it). A union, so
     * a row delivered but not yet removed counts once.
     */
    static long outbox(String accountId) {
        return count("""
                select count(*) from (select version from outbox_event where account_id = ?
                                      union select version from event_feed where account_id = ?) as written""",
                accountId, accountId);
    }

    /** The transfer rows with this id: 0 or 1. */
    static long transfers(String transferId) {
        return count("select count(*) from transfer where transfer_id = ?", transferId);
    }

    static long count(String sql, Object... parameters) {
        return TestDatabase.get().queryLong(sql, parameters);
    }
}

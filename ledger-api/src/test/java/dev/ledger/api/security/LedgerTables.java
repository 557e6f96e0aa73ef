package dev.ledger.api.security;

import dev.ledger.support.TestDatabase;

/** Counts rows in the service's tables over a connection of the test's own, to see what a request wrote. */
final class LedgerTables {

    private LedgerTables() {
    }

    /** Every event in the event store, of every account. */
    static long events() {
        return count("select count(*) from domain_event_entry");
    }

    /** The events of one account's stream. */
    static long events(String accountId) {
        return count("select count(*) from domain_event_entry where aggregate_identifier = ?", accountId);
    }

    /** Every transfer row. */
    static long transfers() {
        return count("select count(*) from transfer");
    }

    /** Stored idempotent answers for this key, whichever client sent it. */
    static long inboxRows(String idempotencyKey) {
        return count("select count(*) from idempotency_inbox where idempotency_key = ?", idempotencyKey);
    }

    /** A snapshot of everything a write could add: events, transfers, and the answers stored for one key. */
    static Written written(String idempotencyKey) {
        return new Written(events(), transfers(), idempotencyKey == null ? 0 : inboxRows(idempotencyKey));
    }

    static long count(String sql, Object... parameters) {
        return TestDatabase.get().queryLong(sql, parameters);
    }

    /** What had been written at one moment. */
    record Written(long events, long transfers, long inboxRowsForKey) {
    }
}

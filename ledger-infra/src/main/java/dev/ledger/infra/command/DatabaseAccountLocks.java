package dev.ledger.infra.command;

import dev.ledger.infra.Pipeline;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * Account locks that hold across every instance of the service: transaction-scoped advisory
 * locks, taken in one statement in ascending key order, so that two writers on the same accounts
 * (opposite transfers among them) queue instead of deadlocking, and what a command checked before
 * its events are appended is still true when they are.
 */
@Component
class DatabaseAccountLocks {

    static final String LOCK_IN_KEY_ORDER = """
            select count(pg_advisory_xact_lock(lock_key)) from (
                select distinct hashtextextended('account' || chr(10) || account_id, 0) as lock_key
                from (select unnest(?::text[]) as account_id) as ids
                order by lock_key) as ordered""";

    /**
     * The last sequence number of the account named by {@code a.account_id}: one backward step on
     * the (aggregate, sequence) index, however long its history; null when it has no events.
     */
    private static final String LAST_SEQUENCE_OF_A = """
            (select d.sequence_number from domain_event_entry d
             where d.aggregate_identifier = a.account_id
             order by d.sequence_number desc limit 1)""";

    private static final String LAST_SEQUENCES = "select a.account_id, " + LAST_SEQUENCE_OF_A
            + " from (select unnest(?::text[]) as account_id) as a";

    /** Fails (SQLSTATE LW001) unless every account's last sequence number is the one given. */
    static final String EXPECT_LAST_SEQUENCES = "select ledger_expect(bool_and(coalesce("
            + LAST_SEQUENCE_OF_A + ", -1) = a.expected), 'the accounts'' last versions')"
            + " from (select unnest(?::text[]) as account_id, unnest(?::bigint[]) as expected) as a";

    /**
     * Adds the statement that takes the accounts' locks to {@code pipeline} (nothing when there are
     * none), waiting for each in ascending key order.
     */
    Pipeline lock(Pipeline pipeline, List<String> accountIds) {
        return accountIds.isEmpty() ? pipeline
                : pipeline.execute(LOCK_IN_KEY_ORDER, (Object) accountIds.toArray(String[]::new));
    }

    /**
     * Adds the statement that reads the sequence number of each account's last event, as committed
     * when it runs, to {@code pipeline}: placed after the locks (a statement of its own, so nothing
     * can commit on these accounts after it), it fills {@code last}; accounts without events are
     * absent.
     */
    Pipeline lastSequences(Pipeline pipeline, List<String> accountIds, Map<String, Long> last) {
        if (accountIds.isEmpty()) {
            return pipeline;
        }
        return pipeline.query(LAST_SEQUENCES, rs -> {
            long sequence = rs.getLong(2);
            if (!rs.wasNull()) {
                last.put(rs.getString(1), sequence);
            }
        }, (Object) accountIds.toArray(String[]::new));
    }

    /**
     * Adds the statement that fails the pipeline (and the transaction) unless each account's last
     * sequence number, as committed when it runs, is the one given: placed after the locks, like
     * {@link #lastSequences}, for writes that were decided on the accounts as this process last
     * knew them.
     */
    Pipeline expectLastSequences(Pipeline pipeline, Map<String, Long> expected) {
        if (expected.isEmpty()) {
            return pipeline;
        }
        List<String> accountIds = List.copyOf(expected.keySet());
        return pipeline.query(EXPECT_LAST_SEQUENCES, rs -> { },
                (Object) accountIds.toArray(String[]::new),
                (Object) accountIds.stream().map(expected::get).toArray(Long[]::new));
    }
}

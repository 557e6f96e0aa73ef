package dev.ledger.infra.command;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Account locks that hold across every instance of the service: transaction-scoped advisory
 * locks, taken in one statement in ascending key order, so that two writers on the same accounts
 * (opposite transfers among them) queue instead of deadlocking, and what a command checked before
 * its events are appended is still true when they are.
 */
@Component
class DatabaseAccountLocks {

    private static final String LOCK_IN_KEY_ORDER = """
            select count(pg_advisory_xact_lock(lock_key)) from (
                select distinct hashtextextended('account' || chr(10) || account_id, 0) as lock_key
                from unnest(?::text[]) as account_id
                order by lock_key) as ordered""";

    private final JdbcTemplate jdbc;

    DatabaseAccountLocks(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    private static final String LAST_SEQUENCES = """
            select aggregate_identifier, max(sequence_number) from domain_event_entry
            where aggregate_identifier = any(?::text[])
            group by aggregate_identifier""";

    void lock(List<String> accountIds) {
        if (!accountIds.isEmpty()) {
            jdbc.queryForObject(LOCK_IN_KEY_ORDER, Long.class, (Object) accountIds.toArray(String[]::new));
        }
    }

    /**
     * The sequence number of each account's last event, as committed now (read after the locks
     * were taken, in a statement of its own, so nothing can commit on these accounts after it);
     * accounts without events are absent.
     */
    Map<String, Long> lastSequences(List<String> accountIds) {
        Map<String, Long> last = new HashMap<>();
        if (!accountIds.isEmpty()) {
            jdbc.query(LAST_SEQUENCES, rs -> {
                last.put(rs.getString(1), rs.getLong(2));
            }, (Object) accountIds.toArray(String[]::new));
        }
        return last;
    }
}

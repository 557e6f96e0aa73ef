package dev.ledger.infra.command;

import java.util.List;
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

    void lock(List<String> accountIds) {
        if (!accountIds.isEmpty()) {
            jdbc.queryForObject(LOCK_IN_KEY_ORDER, Long.class, (Object) accountIds.toArray(String[]::new));
        }
    }
}

package dev.ledger.infra;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Keeps the planner's statistics of the ledger's tables current when autovacuum does not (it is
 * off on this project's CI machines, and an operator may turn it off).
 *
 * <p>Why the service cares: pgjdbc prepares a statement on the server from its fifth execution,
 * and PostgreSQL then settles on a generic plan, made once with the statistics of that moment.
 * On a new ledger the tables are small and a sequential scan is the cheapest plan; the plan
 * stays until an ANALYZE of the table invalidates it. Without one, the stored-answers lookup of
 * every write group read the whole inbox and the consumer read every balance, so a seed of
 * 251,000 events slowed from 5,300 to 2,200 events/s as the tables grew (3,500 events/s overall;
 * 5,700 with this class analyzing them every 10 s). Planning every execution instead (no
 * generic plans) cost 13 % of the deposits per second under load.
 *
 * <p>The rule is autovacuum's default: a table is analyzed once the rows changed since its last
 * ANALYZE exceed 50 plus 10 % of its rows. With autovacuum on this does nothing.
 */
@Component
public class TableStatistics {

    private static final Logger log = LoggerFactory.getLogger(TableStatistics.class);

    /** The tables whose plans matter on the write, relay and read paths; a fixed list, so also the bound. */
    static final List<String> TABLES = List.of("domain_event_entry", "snapshot_event_entry", "idempotency_inbox",
            "outbox_event", "relay_dead_letter", "event_feed", "account_balance", "statement_line",
            "projection_held", "transfer");
    static final long CHANGED_ROWS_MIN = 50;
    static final double CHANGED_FRACTION = 0.1;
    /** An ANALYZE waits at most this long for a lock (a rebuild's truncate holds its tables) and then gives up until next time. */
    private static final String LOCK_WAIT_MAX = "1s";
    private static final String DURATION_MAX = "60s";

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transactions;

    public TableStatistics(JdbcTemplate jdbc, PlatformTransactionManager transactions) {
        this.jdbc = jdbc;
        this.transactions = new TransactionTemplate(transactions);
    }

    /** Every {@code ledger.statistics.interval} (10 s): analyzes the stale tables if autovacuum is off. */
    @Scheduled(fixedDelayString = "${ledger.statistics.interval:PT10S}",
            initialDelayString = "${ledger.statistics.interval:PT10S}")
    public List<String> refreshIfAutovacuumIsOff() {
        if (!"off".equals(jdbc.queryForObject("show autovacuum", String.class))) {
            return List.of();
        }
        return analyzeStale();
    }

    /** Analyzes each of the ledger's tables changed by more than the rule allows since its last ANALYZE; returns them. */
    public List<String> analyzeStale() {
        List<String> stale = jdbc.queryForList("""
                select relname from pg_stat_user_tables
                where schemaname = current_schema() and relname = any(?)
                  and n_mod_since_analyze > ? + ? * greatest(n_live_tup, 0)
                order by relname""", String.class, TABLES.toArray(String[]::new), CHANGED_ROWS_MIN,
                CHANGED_FRACTION);
        List<String> analyzed = new ArrayList<>(stale.size());
        for (String table : stale) {
            try {
                transactions.executeWithoutResult(status -> {
                    jdbc.execute("set local lock_timeout = '" + LOCK_WAIT_MAX + "'");
                    jdbc.execute("set local statement_timeout = '" + DURATION_MAX + "'");
                    // The name comes from TABLES, never from outside.
                    jdbc.execute("analyze " + table);
                });
                analyzed.add(table);
            } catch (DataAccessException busy) {
                log.info("Statistics of {} not refreshed this time: {}", table, busy.getMostSpecificCause().getMessage());
            }
        }
        if (!analyzed.isEmpty()) {
            log.debug("Analyzed {}", analyzed);
        }
        return analyzed;
    }
}

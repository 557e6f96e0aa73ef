package dev.ledger.infra;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Stands in for autovacuum on the ledger's own tables when it is off (as on this project's CI
 * machines, or when an operator turns it off): the same rules, checked every 10 s.
 *
 * <p><b>ANALYZE</b>, because plans depend on it. pgjdbc prepares a statement on the server from
 * its fifth execution, and PostgreSQL then settles on a generic plan, made once with the
 * statistics of that moment. On a new ledger the tables are small and a sequential scan is the
 * cheapest plan; the plan stays until an ANALYZE of the table invalidates it. Without one, the
 * stored-answers lookup of every write group read the whole inbox and the consumer read every
 * balance, so a seed of 251,000 events slowed from 5,300 to 2,200 events/s as the tables grew
 * (3,500 events/s overall; 5,700 with the tables analyzed every 10 s). Planning every execution
 * instead (no generic plans) cost 13 % of the deposits per second under load.
 *
 * <p><b>VACUUM</b>, because every delivery removes its outbox row and leaves a dead entry in the
 * outbox's indexes, which each relay round walks from the start: after 1.5 million deliveries a
 * round with nothing to deliver read 2,500 index pages (5 ms of the database's CPU); after a
 * VACUUM, 7.
 *
 * <p>A table is analyzed once the rows changed since its last ANALYZE exceed
 * {@code autovacuum_analyze_threshold} plus {@code autovacuum_analyze_scale_factor} of its rows,
 * and vacuumed once its dead rows exceed the vacuum threshold and scale factor likewise, each
 * setting taken from the table's own storage parameters where it has them (the outbox's, V6) and
 * from the server otherwise. With autovacuum on this does nothing.
 *
 * <p>Like autovacuum's, its work is paced by the cost-based delay
 * ({@code autovacuum_vacuum_cost_delay} and {@code autovacuum_vacuum_cost_limit}, the table's own
 * where it has them): it sleeps whenever the pages it has read or dirtied add up to the limit.
 * Unpaced, a pass that analyzed the large tables took a core for 0.4–1.3 s in the benchmark, on a
 * server whose two cores the load already kept busy.
 */
@Component
public class TableMaintenance {

    private static final Logger log = LoggerFactory.getLogger(TableMaintenance.class);

    /** The tables whose plans and dead rows matter on the write, relay and read paths; a fixed list, so also the bound. */
    static final List<String> TABLES = List.of("domain_event_entry", "snapshot_event_entry", "idempotency_inbox",
            "outbox_event", "relay_dead_letter", "event_feed", "account_balance", "projection_held", "transfer");
    /** A statement of maintenance runs at most this long; a table another session holds is skipped until next time. */
    private static final String DURATION_MAX = "60s";

    /** The session's limits for one statement of maintenance, in one round trip. */
    private static final String LIMITS_SQL = "select set_config('statement_timeout', ?, false),"
            + " set_config('vacuum_cost_delay', ?, false), set_config('vacuum_cost_limit', ?, false)";

    private static final String DUE_SQL = """
            select s.relname,
                   s.n_mod_since_analyze > %s + %s * greatest(s.n_live_tup, 0),
                   s.n_dead_tup > %s + %s * greatest(s.n_live_tup, 0),
                   %s,
                   (%s)::int
            from pg_stat_user_tables s
            join pg_class c on c.oid = s.relid
            where s.schemaname = current_schema() and s.relname = any(?)
            order by s.relname""".formatted(setting("autovacuum_analyze_threshold"),
            setting("autovacuum_analyze_scale_factor"), setting("autovacuum_vacuum_threshold"),
            setting("autovacuum_vacuum_scale_factor"),
            costSetting("autovacuum_vacuum_cost_delay", "vacuum_cost_delay"),
            costSetting("autovacuum_vacuum_cost_limit", "vacuum_cost_limit"));

    private final JdbcTemplate jdbc;

    public TableMaintenance(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Every {@code ledger.maintenance.interval} (10 s): vacuums and analyzes what is due, if autovacuum is off. */
    @Scheduled(fixedDelayString = "${ledger.maintenance.interval:PT10S}",
            initialDelayString = "${ledger.maintenance.interval:PT10S}")
    public List<String> runIfAutovacuumIsOff() {
        if (!"off".equals(jdbc.queryForObject("show autovacuum", String.class))) {
            return List.of();
        }
        return runDue();
    }

    /**
     * Vacuums and analyzes each of the ledger's tables that autovacuum's rules say is due; returns
     * what it did, as {@code "vacuum <table>"} and {@code "analyze <table>"}.
     */
    public List<String> runDue() {
        List<Due> due = new ArrayList<>();
        jdbc.query(DUE_SQL, rs -> {
            if (rs.getBoolean(3) || rs.getBoolean(2)) {
                due.add(new Due(rs.getString(1), rs.getBoolean(3), rs.getDouble(4), rs.getInt(5)));
            }
        }, (Object) TABLES.toArray(String[]::new));
        List<String> done = new ArrayList<>(due.size());
        for (Due task : due) {
            try {
                // VACUUM cannot run in a transaction, so the limits are set on the connection and taken off again.
                jdbc.execute((ConnectionCallback<Void>) connection -> {
                    try (var limits = connection.prepareStatement(LIMITS_SQL);
                         var session = connection.createStatement()) {
                        try {
                            limits.setString(1, DURATION_MAX);
                            limits.setString(2, Double.toString(task.costDelayMillis()));
                            limits.setString(3, Integer.toString(task.costLimit()));
                            limits.execute();
                            session.execute(task.sql());
                        } finally {
                            session.execute("reset statement_timeout; reset vacuum_cost_delay; reset vacuum_cost_limit");
                        }
                    }
                    return null;
                });
                done.add(task.toString());
            } catch (DataAccessException failed) {
                log.info("{} not done this time: {}", task, failed.getMostSpecificCause().getMessage());
            }
        }
        if (!done.isEmpty()) {
            log.debug("Maintenance: {}", done);
        }
        return done;
    }

    /**
     * A table that is due; a VACUUM also analyzes it. The name comes from {@link #TABLES}, never
     * from outside; the cost settings are read from the server and passed back as parameters.
     */
    private record Due(String table, boolean vacuum, double costDelayMillis, int costLimit) {

        String sql() {
            return (vacuum ? "vacuum (analyze, skip_locked) " : "analyze (skip_locked) ") + table;
        }

        @Override
        public String toString() {
            return (vacuum ? "vacuum " : "analyze ") + table;
        }
    }

    /**
     * An autovacuum cost setting as autovacuum would use it for the table: the table's storage
     * parameter, else the server's autovacuum setting, and where that is -1 the plain VACUUM one
     * (as a number in the setting's base unit: milliseconds for the delay).
     */
    private static String costSetting(String name, String fallback) {
        return "coalesce(" + reloption(name) + ", (select case when a.setting::float8 >= 0 then a.setting::float8"
                + " else v.setting::float8 end from pg_settings a, pg_settings v where a.name = '" + name
                + "' and v.name = '" + fallback + "'))";
    }

    /** An autovacuum setting as the table has it among its storage parameters, else as the server has it. */
    private static String setting(String name) {
        return "coalesce(" + reloption(name) + ", current_setting('" + name + "')::float8)";
    }

    /** The table's storage parameter of that name, as a number; null where it has none (or -1, "not set"). */
    private static String reloption(String name) {
        return "(select split_part(o, '=', 2)::float8 from unnest(c.reloptions) o where o like '" + name
                + "=%' and split_part(o, '=', 2)::float8 >= 0)";
    }
}

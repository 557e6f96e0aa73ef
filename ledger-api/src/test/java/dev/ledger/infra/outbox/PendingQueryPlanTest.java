package dev.ledger.infra.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A relay round must cost about its batch, however far the relay has fallen behind: a round that
 * reads every pending row gets slower as the backlog grows, and the relay never catches up (seen
 * while seeding: rounds of 230,000 rows, then a 15 s statement timeout). The backlog here is
 * inserted in the test's own transaction and never committed, so the relay never sees it and the
 * planner's statistics know nothing of it, as after a burst.
 */
class PendingQueryPlanTest extends IntegrationTest {

    private static final int BACKLOG = 20_000;
    private static final int LIMIT = 50;
    private static final int PARKED_BACKLOG = 2_000;
    private static final int DELIVERED = 200_000;
    private static final int PARKED_FEW = 20;

    @Test
    void a_round_reads_about_its_batch_behind_a_backlog_the_statistics_do_not_know() throws Exception {
        String account = unique("backlog");
        inRolledBackTransaction(connection -> {
            // Its first row is a transfer's leg: its request is probed.
            try (PreparedStatement insert = connection.prepareStatement("""
                    insert into outbox_event (account_id, version, type, amount, currency, balance_after,
                                              occurred_at, request_id, transfer_id)
                    select ?, n, 'DEPOSITED', 1, 'EUR', n, now(), gen_random_uuid()::text,
                           case when n = 1 then 'backlog-transfer' end
                    from generate_series(1, ?) as n""")) {
                insert.setString(1, account);
                insert.setInt(2, BACKLOG);
                assertThat(insert.executeUpdate()).isEqualTo(BACKLOG);
            }
            // Rows of accounts other tests left parked: the head walks past them.
            long parkedPending = number(connection, """
                    select count(*) from outbox_event o join relay_dead_letter d
                      on d.account_id = o.account_id and d.released_at is null
                    where o.relayed_at is null""");
            // A parked account with a backlog of its own, whose first row is the other leg of the
            // backlog's first transfer: leaving it out must not cost a scan of every pending row per row.
            String parked = unique("backlog-parked");
            try (PreparedStatement park = connection.prepareStatement("""
                    with parked as (
                        insert into relay_dead_letter (account_id, version, error, attempts, parked_at)
                        values (?, 1, 'test', 1, now()) returning 1),
                    rows as (
                        insert into outbox_event (account_id, version, type, amount, currency, balance_after,
                                                  occurred_at, request_id, transfer_id)
                        select ?, n, 'DEPOSITED', 1, 'EUR', n, now(),
                               case when n = 1 then (select request_id from outbox_event
                                                     where account_id = ? and version = 1)
                                    else gen_random_uuid()::text end,
                               case when n = 1 then 'backlog-transfer' end
                        from generate_series(1, ?) as n returning 1)
                    select (select count(*) from parked), (select count(*) from rows)""")) {
                park.setString(1, parked);
                park.setString(2, parked);
                park.setString(3, account);
                park.setInt(4, PARKED_BACKLOG);
                try (ResultSet rs = park.executeQuery()) {
                    rs.next();
                    assertThat(rs.getLong(2)).isEqualTo(PARKED_BACKLOG);
                }
            }
            try (Statement settings = connection.createStatement()) {
                settings.execute(OutboxStore.PENDING_PLAN_SETTINGS);
            }

            JsonNode plan = explain(connection);
            long rowsRead = mostRowsOfOneNode(plan);
            List<String> round = round(connection);

            assertThat(round).as("rows of one round").hasSizeBetween(LIMIT, 2 * LIMIT)
                    .doesNotContain(account + "#1")
                    .noneMatch(row -> row.startsWith(parked + "#"));
            assertThat(rowsRead).as("rows read by the busiest step of the round's plan, behind a backlog of %d;"
                    + " the plan: %s", BACKLOG, plan).isLessThanOrEqualTo(4L * LIMIT + parkedPending);
        });
    }

    /**
     * Statistics taken while the relay had caught up (as autovacuum or {@code TableMaintenance}
     * leave them) say that nothing is pending, while the id-ordered index (the primary key, since
     * V14) still holds the dead entries of every row delivered (deleted, since V8) since the last
     * vacuum. With such statistics the planner once answered "the pending rows of this request" by walking the
     * id-ordered pending index for each candidate: seen in the benchmark as 1.9 million buffer
     * reads for a round of 500, then 15 s socket timeouts and a backlog of 117,000 rows. Since V8 delivered rows are deleted, so the
     * statistics usually describe a nearly empty table; with those the planner also fetched the
     * head's rows by looping over every pending row per candidate (1,000,000 rows read for a
     * round of 50, until the query said {@code = any(array(...))}). Reproduced here on private
     * copies of the relay's two tables (temporary tables of the same names, which the query then
     * reads).
     */
    @Test
    void a_round_reads_about_its_batch_when_the_statistics_say_nothing_is_pending() throws Exception {
        inRolledBackTransaction(connection -> {
            try (Statement statement = connection.createStatement()) {
                statement.execute("create temp table outbox_event (like public.outbox_event including all)"
                        + " on commit drop");
                statement.execute("create temp table relay_dead_letter (like public.relay_dead_letter including all)"
                        + " on commit drop");
                String insert = """
                        insert into outbox_event (account_id, version, type, amount, currency, balance_after,
                                                  occurred_at, request_id)
                        select 'acc-' || (n %% 1000), n, 'DEPOSITED', 1, 'EUR', n, now(), gen_random_uuid()::text
                        from generate_series(%d, %d) as n""";
                statement.execute(insert.formatted(1, DELIVERED));
                statement.execute("delete from outbox_event");
                statement.execute("analyze outbox_event");
                statement.execute("analyze relay_dead_letter");
                statement.execute(insert.formatted(DELIVERED + 1, DELIVERED + BACKLOG));
                statement.execute(OutboxStore.PENDING_PLAN_SETTINGS);

                JsonNode plan = explain(connection);
                long rowsRead = mostRowsOfOneNode(plan);
                List<String> round = round(connection);

                assertThat(round).as("rows of one round").hasSize(LIMIT);
                assertThat(rowsRead).as("rows read by the busiest step of the round's plan, behind a backlog of %d"
                        + " the statistics do not know; the plan: %s", BACKLOG, plan).isLessThanOrEqualTo(4L * LIMIT);

                // The common round's head query, under the same settings, stops at its limit too.
                JsonNode head = explain(connection, OutboxStore.HEAD_SQL);
                assertThat(head.path("Actual Rows").asLong()).as("the head's rows").isEqualTo(LIMIT);
                assertThat(mostRowsOfOneNode(head)).as("rows read by the busiest step of the head's plan: %s", head)
                        .isLessThanOrEqualTo(2L * LIMIT);
            }
        });
    }

    /**
     * Statistics that know a few parked accounts with a pending row or two each, then an account
     * parked with a backlog they do not know, sharing a request with the oldest pending row. The
     * round must still probe each candidate's request, not every parked account's rows: a plan
     * that started from the parked accounts read the parked backlog once per candidate (seen in a
     * full test run as 102,000 rows read for a round of 50).
     */
    @Test
    void a_round_reads_about_its_batch_when_a_parked_account_has_a_backlog_the_statistics_do_not_know()
            throws Exception {
        inRolledBackTransaction(connection -> {
            try (Statement statement = connection.createStatement()) {
                statement.execute("create temp table outbox_event (like public.outbox_event including all)"
                        + " on commit drop");
                statement.execute("create temp table relay_dead_letter (like public.relay_dead_letter including all)"
                        + " on commit drop");
                String insert = """
                        insert into outbox_event (account_id, version, type, amount, currency, balance_after,
                                                  occurred_at, request_id)
                        select %s, n, 'DEPOSITED', 1, 'EUR', n, now(), gen_random_uuid()::text
                        from generate_series(%d, %d) as n""";
                String park = """
                        insert into relay_dead_letter (account_id, version, error, attempts, parked_at)
                        select distinct account_id, 1, 'test', 1, now() from outbox_event where account_id like '%s'""";
                statement.execute(insert.formatted("'acc-' || (n % 1000)", 1, DELIVERED));
                statement.execute("delete from outbox_event");
                statement.execute(insert.formatted("'parked-' || n", 1, PARKED_FEW));
                statement.execute(park.formatted("parked-%"));
                statement.execute("analyze outbox_event");
                statement.execute("analyze relay_dead_letter");
                statement.execute(insert.formatted("'acc-' || (n % 1000)", DELIVERED + 1, DELIVERED + BACKLOG));
                statement.execute(insert.formatted("'big-parked'", 1, PARKED_BACKLOG));
                // The oldest pending row and the parked account's first are a transfer's two legs.
                statement.execute("""
                        update outbox_event set transfer_id = 'parked-transfer',
                                                request_id = (select request_id from outbox_event
                                                              where relayed_at is null order by id limit 1)
                        where account_id = 'big-parked' and version = 1
                           or id = (select id from outbox_event where relayed_at is null order by id limit 1)""");
                statement.execute(park.formatted("big-parked"));
                statement.execute(OutboxStore.PENDING_PLAN_SETTINGS);

                JsonNode plan = explain(connection);
                long rowsRead = mostRowsOfOneNode(plan);
                List<String> round = round(connection);

                assertThat(round).as("rows of one round").hasSize(LIMIT)
                        .noneMatch(row -> row.startsWith("parked-") || row.startsWith("big-parked#"));
                assertThat(rowsRead).as("rows read by the busiest step of the round's plan, with %d parked rows the"
                        + " statistics do not know; the plan: %s", PARKED_BACKLOG, plan)
                        .isLessThanOrEqualTo(4L * LIMIT + PARKED_FEW);
            }
        });
    }

    /**
     * A relay connection lives for hours and runs the same round thousands of times. PostgreSQL
     * would keep a generic plan made once, when the table was small (with autovacuum off, as on
     * this project's CI machines, no ANALYZE ever replaces it): that plan probed the request of
     * each candidate by walking every pending row, and while seeding a round then outran the
     * 15 s socket timeout. And behind a large backlog the estimate passes the JIT thresholds, so
     * each round spent 200-250 ms compiling a plan that ran in 3-6 ms. The round's settings must
     * plan it afresh each time, without JIT.
     */
    @Test
    void a_round_is_planned_for_the_backlog_it_finds_and_never_jit_compiled() throws Exception {
        inRolledBackTransaction(connection -> {
            try (Statement statement = connection.createStatement()) {
                // As the plan cache does after a few rounds on a small table, and as a backlog's estimate does.
                statement.execute("set local plan_cache_mode = force_generic_plan");
                statement.execute("set local jit_above_cost = 0");
                statement.execute("prepare pending_round(int) as " + OutboxStore.PENDING_SQL.replace("limit ?", "limit $1"));
                JsonNode control = explainExecute(connection);
                assertThat(plans(connection)).as("generic and custom plans before the settings").containsExactly(1L, 0L);
                boolean jitAvailable = number(connection, "select case when pg_jit_available() then 1 else 0 end") == 1;
                if (jitAvailable) {
                    assertThat(control.has("JIT")).as("control: JIT compiles the round without the settings").isTrue();
                }

                statement.execute(OutboxStore.PENDING_PLAN_SETTINGS);
                JsonNode round = explainExecute(connection);

                assertThat(plans(connection)).as("generic and custom plans after the settings").containsExactly(1L, 1L);
                assertThat(round.has("JIT")).as("JIT in the round's plan: %s", round.get("JIT")).isFalse();
            }
        });
    }

    /**
     * The round's planner settings last only for its pending query: the statement after it sets
     * each back to what it was before (the consumer's statements follow in the same transaction),
     * including a value the session had set itself.
     */
    @Test
    void a_round_sets_its_planner_settings_back_after_its_query() throws Exception {
        inRolledBackTransaction(connection -> {
            try (Statement statement = connection.createStatement()) {
                statement.execute("set local enable_sort = off");
                statement.execute("set local plan_cache_mode = force_generic_plan");
                String before = plannerSettings(connection);
                assertThat(before).isEqualTo("on,on,off," + text(connection, "select current_setting('jit')")
                        + ",force_generic_plan");

                statement.execute(OutboxStore.PENDING_PLAN_SETTINGS);
                assertThat(plannerSettings(connection)).isEqualTo("off,off,off,off,force_custom_plan");

                statement.execute(OutboxStore.RESET_PLAN_SETTINGS);
                assertThat(plannerSettings(connection)).isEqualTo(before);
            }
        });
    }

    private static String plannerSettings(Connection connection) throws SQLException {
        return text(connection, "select concat_ws(',', current_setting('enable_bitmapscan'),"
                + " current_setting('enable_seqscan'), current_setting('enable_sort'), current_setting('jit'),"
                + " current_setting('plan_cache_mode'))");
    }

    private static String text(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Runs the work on a connection of its own, in a transaction that is always rolled back. */
    private static void inRolledBackTransaction(SqlWork work) throws Exception {
        try (Connection connection = TestDatabase.get().connect()) {
            connection.setAutoCommit(false);
            try {
                work.run(connection);
            } finally {
                connection.rollback();
            }
        }
    }

    private interface SqlWork {
        void run(Connection connection) throws Exception;
    }

    private static JsonNode explainExecute(Connection connection) throws Exception {
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("explain (analyze, format json) execute pending_round(" + LIMIT + ")")) {
            rs.next();
            return new ObjectMapper().readTree(rs.getString(1)).get(0);
        }
    }

    /** How often the prepared round was planned generically and how often custom, by PostgreSQL's count. */
    private static List<Long> plans(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(
                "select generic_plans, custom_plans from pg_prepared_statements where name = 'pending_round'")) {
            rs.next();
            return List.of(rs.getLong(1), rs.getLong(2));
        }
    }

    private static JsonNode explain(Connection connection) throws Exception {
        return explain(connection, OutboxStore.PENDING_SQL);
    }

    private static JsonNode explain(Connection connection, String sql) throws Exception {
        try (PreparedStatement explain = connection.prepareStatement("explain (analyze, format json) " + sql)) {
            explain.setInt(1, LIMIT);
            try (ResultSet rs = explain.executeQuery()) {
                rs.next();
                return new ObjectMapper().readTree(rs.getString(1)).get(0).get("Plan");
            }
        }
    }

    /**
     * The most rows any node of the plan went through, over all its loops: those it produced and
     * those its filters dropped (a scan that filters 20,000 rows down to 50 read 20,000).
     */
    private static long mostRowsOfOneNode(JsonNode plan) {
        long perLoop = plan.path("Actual Rows").asLong() + plan.path("Rows Removed by Filter").asLong()
                + plan.path("Rows Removed by Join Filter").asLong() + plan.path("Rows Removed by Index Recheck").asLong();
        long rows = perLoop * Math.max(1, plan.path("Actual Loops").asLong());
        for (JsonNode child : plan.path("Plans")) {
            rows = Math.max(rows, mostRowsOfOneNode(child));
        }
        return rows;
    }

    /** One round's rows as account#version, in the order the round delivers them. */
    private static List<String> round(Connection connection) throws SQLException {
        return round(connection, LIMIT);
    }

    /** What the full pending query answers for a round of {@code limit}, as account#version in its order. */
    static List<String> round(Connection connection, int limit) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(OutboxStore.PENDING_SQL)) {
            query.setInt(1, limit);
            try (ResultSet rs = query.executeQuery()) {
                List<String> rows = new ArrayList<>();
                while (rs.next()) {
                    rows.add(rs.getString("account_id") + "#" + rs.getLong("version"));
                }
                return rows;
            }
        }
    }

    private static long number(Connection connection, String sql) throws SQLException {
        return TestDatabase.queryLong(connection, sql);
    }
}

package dev.ledger.infra.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.infra.outbox.OutboxStore.PendingEntry;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.TestDatabase;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

/**
 * A relay round reads its rows with the short head query ({@link OutboxStore#HEAD_SQL}) only where
 * that gives what the full pending query ({@link OutboxStore#PENDING_SQL}) gives: no account
 * parked, and fewer rows than the limit. Run on private copies of the relay's two tables
 * (temporary tables of the same names, which the queries then read), in a transaction rolled back
 * at the end, so the service's own relay never sees these rows; the round trips the store sends
 * are recorded.
 *
 * <p>The rows, in id order: a deposit of {@code a}, a transfer's leg of {@code b}, a deposit of
 * {@code c}, the transfer's other leg, of {@code d}.
 */
class PendingReadTest extends IntegrationTest {

    @Test
    void a_common_round_reads_the_head_alone_in_one_round_trip() throws Exception {
        inRolledBackTransaction((connection, sent) -> {
            OutboxStore store = store(connection, sent);

            assertThat(rows(store.pending(50))).containsExactly("a#1", "b#1", "c#1", "d#1")
                    .isEqualTo(rows(connection, 50));
            assertThat(sent).as("round trips").hasSize(1);
            assertThat(sent.get(0)).contains(OutboxStore.HEAD_SQL).doesNotContain(OutboxStore.PENDING_SQL);
        });
    }

    @Test
    void a_full_head_is_read_again_so_that_a_request_s_rows_past_the_limit_come_with_it() throws Exception {
        inRolledBackTransaction((connection, sent) -> {
            OutboxStore store = store(connection, sent);

            assertThat(rows(store.pending(2))).as("the transfer's second leg comes with its first")
                    .containsExactly("a#1", "b#1", "d#1").isEqualTo(rows(connection, 2));
            assertThat(sent).as("round trips").hasSize(2);
            assertThat(sent.get(1)).contains(OutboxStore.PENDING_SQL);
        });
    }

    @Test
    void with_an_account_parked_the_round_reads_again_and_leaves_its_rows_out() throws Exception {
        inRolledBackTransaction((connection, sent) -> {
            try (Statement statement = connection.createStatement()) {
                statement.execute("insert into relay_dead_letter (account_id, version, error, attempts, parked_at)"
                        + " values ('c', 1, 'test', 1, now())");
            }
            OutboxStore store = store(connection, sent);

            assertThat(rows(store.pending(50))).containsExactly("a#1", "b#1", "d#1").isEqualTo(rows(connection, 50));
            assertThat(sent).as("round trips").hasSize(2);
            assertThat(sent.get(1)).contains(OutboxStore.PENDING_SQL);
        });
    }

    /**
     * A consumer's statements added to a round's first round trip ({@code LedgerProjector.readAlongside}
     * in the service) go with the head read, in the same round trip, after it: they see the head's
     * accounts through {@link OutboxStore.PendingAccounts}, and run under the pending query's planner
     * settings but with the plan cache's own setting, so that their plans may be kept; the settings
     * are back to what they were once the round trip is over. They run whether or not the relay's
     * lock was granted (the service's relay may hold it now): a round that has it answers the rows.
     */
    @Test
    void a_consumers_statements_go_in_the_first_round_trip_with_the_heads_accounts() throws Exception {
        inRolledBackTransaction((connection, sent) -> {
            try (Statement statement = connection.createStatement()) {
                statement.execute("set local plan_cache_mode = force_generic_plan");
            }
            OutboxStore store = store(connection, sent);
            List<String> accounts = new ArrayList<>();
            List<String> settings = new ArrayList<>();
            List<PendingEntry> rows = store.lockAndReadPending(50, (pipeline, pending) -> pipeline
                    .query("select current_setting('plan_cache_mode'), current_setting('enable_seqscan')",
                            rs -> settings.addAll(List.of(rs.getString(1), rs.getString(2))))
                    .query("select account_id from (" + pending.sql() + ") a", rs -> accounts.add(rs.getString(1)),
                            pending.limit()));

            assertThat(sent).as("round trips").hasSize(1);
            assertThat(accounts).as("the head's accounts").containsExactlyInAnyOrder("a", "b", "c", "d");
            assertThat(settings).as("plan cache, sequential scans").containsExactly("force_generic_plan", "off");
            if (rows != null) {
                assertThat(rows(rows)).containsExactly("a#1", "b#1", "c#1", "d#1");
            }
            try (Statement statement = connection.createStatement();
                 var rs = statement.executeQuery("select current_setting('plan_cache_mode'),"
                         + " current_setting('enable_seqscan')")) {
                assertThat(rs.next()).isTrue();
                assertThat(List.of(rs.getString(1), rs.getString(2))).as("settings after the round trip")
                        .containsExactly("force_generic_plan", "on");
            }
        });
    }

    /** A store on the test's connection, whose every statement sent is added to {@code sent}. */
    private static OutboxStore store(Connection connection, List<String> sent) {
        Connection recording = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    if (method.getName().equals("prepareStatement")) {
                        sent.add((String) args[0]);
                    }
                    try {
                        return method.invoke(connection, args);
                    } catch (InvocationTargetException failure) {
                        throw failure.getCause();
                    }
                });
        return new OutboxStore(new JdbcTemplate(new SingleConnectionDataSource(recording, true)), Clock.systemUTC(),
                new RelaySignal());
    }

    /** What the full pending query answers, as account#version in its order. */
    private static List<String> rows(Connection connection, int limit) throws Exception {
        return PendingQueryPlanTest.round(connection, limit);
    }

    private static List<String> rows(List<PendingEntry> pending) {
        return pending.stream().map(row -> row.entry().accountId() + "#" + row.entry().version()).toList();
    }

    /**
     * Runs the work on a connection of its own, holding the private tables and their four rows, in
     * a transaction that is always rolled back.
     */
    private static void inRolledBackTransaction(Work work) throws Exception {
        try (Connection connection = TestDatabase.get().connect()) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                statement.execute("create temp table outbox_event (like public.outbox_event including all)"
                        + " on commit drop");
                statement.execute("create temp table relay_dead_letter (like public.relay_dead_letter including all)"
                        + " on commit drop");
                String row = "insert into outbox_event (account_id, version, type, amount, currency, balance_after,"
                        + " occurred_at, request_id, transfer_id) values ('%s', 1, '%s', 1, 'EUR', 1, now(), '%s', %s)";
                statement.execute(row.formatted("a", "DEPOSIT", "request-a", "null"));
                statement.execute(row.formatted("b", "TRANSFER_DEBIT", "request-transfer", "'transfer'"));
                statement.execute(row.formatted("c", "DEPOSIT", "request-c", "null"));
                statement.execute(row.formatted("d", "TRANSFER_CREDIT", "request-transfer", "'transfer'"));
                work.run(connection, new ArrayList<>());
            } finally {
                connection.rollback();
            }
        }
    }

    private interface Work {
        void run(Connection connection, List<String> sent) throws Exception;
    }
}

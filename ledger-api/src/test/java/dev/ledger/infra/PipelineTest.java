package dev.ledger.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledger.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

/**
 * Statements sent in one round trip run in order, each as a statement of its own: the property
 * the write path and the relay rely on is that a read placed after a lock sees what committed
 * while the lock was waited for.
 */
class PipelineTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final String table = "pipeline_test_" + UUID.randomUUID().toString().replace('-', '_');
    private Connection connection;
    private JdbcTemplate jdbc;

    @BeforeEach
    void open() throws Exception {
        connection = TestDatabase.get().connect();
        try (Statement statement = connection.createStatement()) {
            statement.execute("create table " + table + " (n int not null)");
        }
        connection.setAutoCommit(false);
        jdbc = new JdbcTemplate(new SingleConnectionDataSource(connection, true));
    }

    @AfterEach
    void close() throws Exception {
        connection.rollback();
        connection.setAutoCommit(true);
        try (Statement statement = connection.createStatement()) {
            statement.execute("drop table " + table);
        }
        connection.close();
    }

    @Test
    void runs_the_statements_in_order_and_hands_each_its_result() {
        List<Long> rows = new ArrayList<>();
        int[] inserted = {-1};
        String[] setting = {null};
        new Pipeline()
                .update("insert into " + table + " select generate_series(1, ?)", count -> inserted[0] = count, 3)
                .execute("set local enable_seqscan = off")
                .query("select current_setting('enable_seqscan')", rs -> setting[0] = rs.getString(1))
                .query("select n * ? from " + table + " where n >= ? order by n", rs -> rows.add(rs.getLong(1)), 10, 2)
                .run(jdbc);

        assertThat(inserted[0]).as("rows the first statement inserted").isEqualTo(3);
        assertThat(setting[0]).as("a setting made by an earlier statement").isEqualTo("off");
        assertThat(rows).as("parameters numbered across statements; the insert is seen").containsExactly(20L, 30L);
    }

    @Test
    void a_read_after_a_lock_sees_what_committed_while_the_lock_was_waited_for() throws Exception {
        long lock = Math.abs(UUID.randomUUID().getMostSignificantBits());
        ExecutorService waiter = Executors.newSingleThreadExecutor();
        try (Connection holder = TestDatabase.get().connect()) {
            holder.setAutoCommit(false);
            try (PreparedStatement take = holder.prepareStatement("select pg_advisory_xact_lock(?)")) {
                take.setLong(1, lock);
                take.execute();
            }
            try (Statement insert = holder.createStatement()) {
                insert.execute("insert into " + table + " values (42)");
            }
            int pid = backendPid(connection);
            long[] seen = {-1};
            Future<?> pipeline = waiter.submit(() -> new Pipeline()
                    .execute("select pg_advisory_xact_lock(?)", lock)
                    .query("select count(*) from " + table, rs -> seen[0] = rs.getLong(1))
                    .run(jdbc));
            awaitWaitingForLock(holder, pid);
            holder.commit();
            pipeline.get(WAIT.toSeconds(), TimeUnit.SECONDS);

            assertThat(seen[0]).as("rows seen by the read placed after the lock").isEqualTo(1);
        } finally {
            waiter.shutdownNow();
        }
    }

    @Test
    void a_failing_statement_stops_the_pipeline_and_is_thrown() {
        int[] counted = {-1};
        assertThatThrownBy(() -> new Pipeline()
                .update("insert into " + table + " values (1)", count -> { })
                .query("select 1 / (select count(*) - 1 from " + table + ")", rs -> { })
                .update("insert into " + table + " values (2)", count -> counted[0] = count)
                .run(jdbc))
                .isInstanceOf(DataAccessException.class)
                .hasMessageContaining("division by zero");
        assertThat(counted[0]).as("the statement after the failure ran").isEqualTo(-1);
    }

    @Test
    void refuses_a_step_holding_more_than_one_statement_and_a_result_of_the_wrong_kind() {
        assertThatThrownBy(() -> new Pipeline().execute("select 1; select 2").run(jdbc))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Pipeline().update("select 1", count -> { }).run(jdbc))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void a_write_of_another_number_of_rows_than_expected_fails() {
        new Pipeline().write("insert into " + table + " select generate_series(1, ?)", 2, 2).run(jdbc);
        assertThatThrownBy(() -> new Pipeline()
                .write("update " + table + " set n = n + 10", 1)
                .run(jdbc))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("wrote 2 rows, not 1");
    }

    private static int backendPid(Connection connection) throws Exception {
        return (int) TestDatabase.queryLong(connection, "select pg_backend_pid()");
    }

    /** Waits (bounded) until the backend {@code pid} waits for an advisory lock. */
    private static void awaitWaitingForLock(Connection observer, int pid) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        try (PreparedStatement waiting = observer.prepareStatement(
                "select count(*) from pg_locks where pid = ? and locktype = 'advisory' and not granted")) {
            waiting.setInt(1, pid);
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = waiting.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        return;
                    }
                }
                LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
            }
        }
        throw new AssertionError("the pipeline never waited for the lock");
    }
}

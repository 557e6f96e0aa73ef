package dev.ledger.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledger.support.IntegrationTest;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Proves {@link TransactionBuffer#commitWithRows}: the commit goes to the server with the buffered
 * rows, so the transaction has ended before the transaction manager's own commit runs (which then
 * sends nothing); a row that fails keeps the commit from running and nothing is kept; and a
 * statement that something runs after such a commit is rolled back, never committed on its own; and
 * a transaction started inside one buffers and commits its own rows, not the outer one's; and
 * statements put {@link TransactionBuffer#first first} run in the same pipeline, before the rows,
 * and one that fails stops the rows and the commit.
 */
class CommitWithRowsTest extends IntegrationTest {

    @Autowired
    private PlatformTransactionManager transactionManager;

    @Autowired
    private DataSource dataSource;

    private JdbcTemplate jdbc;
    private String table;

    @BeforeEach
    void createTable() {
        jdbc = new JdbcTemplate(dataSource);
        table = "commit_with_rows_" + UUID.randomUUID().toString().replace("-", "");
        jdbc.execute("create table " + table + " (x int primary key)");
    }

    @AfterEach
    void dropTable() {
        jdbc.execute("drop table " + table);
    }

    @Test
    void the_commit_goes_with_the_rows_and_the_transaction_has_ended_before_the_managers_commit() {
        List<TransactionState> beforeManagersCommit = new ArrayList<>();
        transactions().executeWithoutResult(status -> {
            jdbc.update("insert into " + table + " values (1)");
            TransactionBuffer.commitWithRows(jdbc);
            buffer(2);
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void beforeCompletion() {
                    beforeManagersCommit.add(state());
                }
            });
        });
        assertThat(beforeManagersCommit).as("the connection's transaction after the rows' round trip")
                .containsExactly(TransactionState.IDLE);
        assertThat(rows()).containsExactly(1, 2);
    }

    @Test
    void without_it_the_transaction_is_still_open_until_the_managers_commit() {
        List<TransactionState> beforeManagersCommit = new ArrayList<>();
        transactions().executeWithoutResult(status -> {
            buffer(3);
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void beforeCompletion() {
                    beforeManagersCommit.add(state());
                }
            });
        });
        assertThat(beforeManagersCommit).containsExactly(TransactionState.OPEN);
        assertThat(rows()).containsExactly(3);
    }

    @Test
    void a_failing_row_keeps_the_commit_from_running_and_nothing_is_kept() {
        assertThatThrownBy(() -> transactions().executeWithoutResult(status -> {
            jdbc.update("insert into " + table + " values (4)");
            TransactionBuffer.commitWithRows(jdbc);
            buffer(5);
            buffer(5);
        })).hasMessageContaining("duplicate key");
        assertThat(rows()).isEmpty();
    }

    @Test
    void a_statement_run_after_the_commit_is_rolled_back_not_committed_alone() {
        transactions().executeWithoutResult(status -> {
            TransactionBuffer.commitWithRows(jdbc);
            buffer(6);
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void beforeCommit(boolean readOnly) {
                    jdbc.update("insert into " + table + " values (7)");
                }
            });
        });
        assertThat(rows()).as("the row of the transaction, not the stray one").containsExactly(6);
    }

    @Test
    void a_transaction_started_inside_one_buffers_and_commits_rows_of_its_own() {
        TransactionTemplate inner = transactions();
        inner.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        transactions().executeWithoutResult(outer -> {
            TransactionBuffer.commitWithRows(jdbc);
            buffer(8);
            inner.executeWithoutResult(status -> {
                TransactionBuffer.commitWithRows(jdbc);
                buffer(9);
            });
            assertThat(jdbc.queryForList("select x from " + table + " order by x", Integer.class))
                    .as("the inner transaction's row, committed with it; the outer's still buffered")
                    .containsExactly(9);
            outer.setRollbackOnly();
        });
        assertThat(rows()).as("the outer transaction rolled back its own row only").containsExactly(9);
    }

    @Test
    void statements_put_first_run_at_the_end_before_the_rows_and_the_commit_and_one_that_fails_stops_both() {
        List<Integer> seenFirst = new ArrayList<>();
        List<TransactionState> beforeManagersCommit = new ArrayList<>();
        transactions().executeWithoutResult(status -> {
            TransactionBuffer.commitWithRows(jdbc);
            buffer(10);
            TransactionBuffer.first(jdbc, pipeline -> pipeline.query("select count(*) from " + table,
                    rs -> seenFirst.add(rs.getInt(1))));
            assertThat(seenFirst).as("not run before the transaction ends").isEmpty();
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void beforeCompletion() {
                    beforeManagersCommit.add(state());
                }
            });
        });
        assertThat(seenFirst).as("rows the first statement saw: it ran before the buffered row").containsExactly(0);
        assertThat(beforeManagersCommit).as("committed in the rows' round trip").containsExactly(TransactionState.IDLE);
        assertThat(rows()).containsExactly(10);

        assertThatThrownBy(() -> transactions().executeWithoutResult(status -> {
            TransactionBuffer.commitWithRows(jdbc);
            jdbc.update("insert into " + table + " values (11)");
            buffer(12);
            TransactionBuffer.first(jdbc, pipeline -> pipeline.query(
                    "select ledger_expect(false, 'a test''s assumption')", rs -> { }));
        })).hasMessageContaining("a test's assumption not as the writes expected");
        assertThat(rows()).as("neither the rows nor what ran before them").containsExactly(10);
    }

    private TransactionTemplate transactions() {
        return new TransactionTemplate(transactionManager);
    }

    /** Buffers a row of the table for the end of the current transaction. */
    private void buffer(int x) {
        TransactionBuffer.<List<Integer>>of(this, ArrayList::new, (values, pipeline) -> {
            values.forEach(value -> pipeline.execute("insert into " + table + " values (?)", value));
            values.clear();
        }, () -> { }, jdbc).add(x);
    }

    private TransactionState state() {
        try {
            return DataSourceUtils.getConnection(dataSource).unwrap(BaseConnection.class).getTransactionState();
        } catch (SQLException failure) {
            throw new IllegalStateException(failure);
        }
    }

    private List<Integer> rows() {
        return jdbc.queryForList("select x from " + table + " order by x", Integer.class);
    }
}

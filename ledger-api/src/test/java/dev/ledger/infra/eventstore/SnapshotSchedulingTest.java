package dev.ledger.infra.eventstore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.support.TestDatabase;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A snapshot asked for inside a database transaction is handed to the snapshot thread only once
 * that transaction has committed (Axon asks when the command's unit of work commits, which in a
 * group commit is before the database transaction does): a snapshot taken earlier would miss the
 * event that asked for it.
 */
class SnapshotSchedulingTest {

    private final List<String> handedOver = new ArrayList<>();
    private final Executor executor = EventStoreConfiguration.afterDatabaseCommit(task -> {
        handedOver.add("task");
        task.run();
    });
    private Connection connection;
    private TransactionTemplate transactions;

    @BeforeEach
    void open() throws Exception {
        connection = TestDatabase.get().connect();
        transactions = new TransactionTemplate(
                new DataSourceTransactionManager(new SingleConnectionDataSource(connection, true)));
    }

    @AfterEach
    void close() throws Exception {
        connection.close();
    }

    @Test
    void inside_a_transaction_the_snapshot_waits_for_the_commit() {
        List<String> ran = new ArrayList<>();
        transactions.executeWithoutResult(status -> {
            executor.execute(() -> ran.add("snapshot"));
            assertThat(handedOver).as("handed over before the commit").isEmpty();
        });
        assertThat(handedOver).hasSize(1);
        assertThat(ran).containsExactly("snapshot");
    }

    @Test
    void a_rolled_back_transaction_takes_no_snapshot() {
        List<String> ran = new ArrayList<>();
        transactions.executeWithoutResult(status -> {
            executor.execute(() -> ran.add("snapshot"));
            status.setRollbackOnly();
        });
        assertThat(handedOver).isEmpty();
        assertThat(ran).isEmpty();
    }

    @Test
    void outside_a_transaction_the_snapshot_is_handed_over_at_once() {
        List<String> ran = new ArrayList<>();
        executor.execute(() -> ran.add("snapshot"));
        assertThat(ran).containsExactly("snapshot");
    }
}

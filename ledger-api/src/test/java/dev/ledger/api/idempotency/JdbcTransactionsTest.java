package dev.ledger.api.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.support.IntegrationTest;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The ledger's transactions are plain JDBC: one binds the pool's connection and nothing else. With
 * JPA's transaction manager (Spring Boot's choice whenever JPA is on the class path) each one also
 * opened a Hibernate session, bound it beside the connection and flushed it at commit, on the one
 * writer's thread for every write group, although no transaction ever holds an entity.
 */
class JdbcTransactionsTest extends IntegrationTest {

    @Autowired
    private PlatformTransactionManager transactions;

    @Autowired
    private DataSource dataSource;

    @Autowired
    private JdbcTemplate jdbc;

    @Test
    void a_transaction_binds_the_connection_and_no_jpa_session() {
        List<Object> bound = new ArrayList<>();
        Long backend = new TransactionTemplate(transactions).execute(status -> {
            bound.addAll(TransactionSynchronizationManager.getResourceMap().values());
            return jdbc.queryForObject("select pg_backend_pid()::bigint", Long.class);
        });

        assertThat(bound).as("what the transaction bound to the thread").hasSize(1)
                .allSatisfy(resource -> assertThat(resource).isInstanceOf(ConnectionHolder.class));
        assertThat(TransactionSynchronizationManager.getResource(dataSource)).as("released after the commit").isNull();
        assertThat(backend).isPositive();
    }

    @Test
    void a_statement_in_the_transaction_runs_on_its_connection_and_commits_with_it() {
        String table = "jdbc_tx_probe_" + Long.toHexString(System.nanoTime());
        jdbc.execute("create table " + table + " (n int)");
        try {
            new TransactionTemplate(transactions).executeWithoutResult(status -> {
                jdbc.update("insert into " + table + " values (1)");
                assertThat(jdbc.queryForObject("select count(*) from " + table, Integer.class)).isEqualTo(1);
                status.setRollbackOnly();
            });
            assertThat(jdbc.queryForObject("select count(*) from " + table, Integer.class))
                    .as("rolled back with its transaction").isZero();

            new TransactionTemplate(transactions).executeWithoutResult(status ->
                    jdbc.update("insert into " + table + " values (2)"));
            assertThat(jdbc.queryForObject("select count(*) from " + table, Integer.class)).isEqualTo(1);
        } finally {
            jdbc.execute("drop table " + table);
        }
    }
}

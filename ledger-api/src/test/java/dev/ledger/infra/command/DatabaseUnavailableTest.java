package dev.ledger.infra.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.transaction.TransactionStatus;
import org.springframework.transaction.TransactionSystemException;
import org.springframework.transaction.support.DefaultTransactionDefinition;

/**
 * A commit or rollback on a connection that died under the transaction fails in the ledger's
 * transaction manager (JDBC's) with the driver's or pool's exception as its cause; without a
 * SQLSTATE ("Connection is closed", as the pool answers once it has closed a broken connection) it
 * is the database being unavailable, with one it is whatever that state says. The connection here
 * only fails its transaction's end: what is classified is the manager's own exception.
 */
class DatabaseUnavailableTest {

    @Test
    void a_rollback_on_a_closed_connection_is_the_database_unavailable() {
        Throwable failure = rollBackOn(connectionFailingItsEnd(new SQLException("Connection is closed")));

        assertThat(failure).isInstanceOf(TransactionSystemException.class);
        assertThat(DatabaseUnavailable.isUnavailable(failure)).isTrue();
    }

    @Test
    void a_rollback_that_fails_for_another_reason_is_not() {
        Throwable failure = rollBackOn(connectionFailingItsEnd(new SQLException("deadlock detected", "40P01")));

        assertThat(failure).isInstanceOf(TransactionSystemException.class);
        assertThat(DatabaseUnavailable.isUnavailable(failure)).isFalse();
    }

    @Test
    void a_connection_error_anywhere_in_the_causes_is() {
        SQLException refused = new SQLException("connection refused", "08001");

        assertThat(DatabaseUnavailable.isUnavailable(new IllegalStateException("wrapped", refused))).isTrue();
        assertThat(DatabaseUnavailable.isUnavailable(new IllegalStateException("no cause"))).isFalse();
    }

    private static Throwable rollBackOn(Connection connection) {
        DataSource dataSource = new SingleConnectionDataSource(connection, true);
        DataSourceTransactionManager transactions = new DataSourceTransactionManager(dataSource);
        TransactionStatus status = transactions.getTransaction(new DefaultTransactionDefinition());
        return catchThrowable(() -> transactions.rollback(status));
    }

    /** A connection whose every call works (answering defaults) but rollback and commit, which throw. */
    private static Connection connectionFailingItsEnd(SQLException end) {
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "rollback", "commit" -> throw end;
                        case "getAutoCommit" -> {
                            return true;
                        }
                        case "isClosed", "isReadOnly" -> {
                            return false;
                        }
                        case "getTransactionIsolation" -> {
                            return Connection.TRANSACTION_READ_COMMITTED;
                        }
                        case "hashCode" -> {
                            return System.identityHashCode(proxy);
                        }
                        case "equals" -> {
                            return proxy == args[0];
                        }
                        default -> {
                            return null;
                        }
                    }
                });
    }
}

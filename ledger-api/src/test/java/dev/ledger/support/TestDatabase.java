package dev.ledger.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.PostgreSQLContainer;

/**
 * The real PostgreSQL every test of one run talks to, in a database of its own so that runs never
 * see each other's data. Chosen once per JVM:
 * <ol>
 *   <li>{@code LEDGER_TEST_DB_URL} (a JDBC URL to any database on a server; user and password from
 *       {@code LEDGER_TEST_DB_USER} / {@code LEDGER_TEST_DB_PASSWORD}, default postgres and none):
 *       a fresh database is created on that server;</li>
 *   <li>otherwise, when a Docker engine answers, a PostgreSQL container from Testcontainers;</li>
 *   <li>otherwise the local server at 127.0.0.1:5432, with a fresh database on it.</li>
 * </ol>
 * Databases this class created are dropped when the JVM exits.
 */
public final class TestDatabase {

    private static final String LOCAL_SERVER = "jdbc:postgresql://127.0.0.1:5432/postgres";
    private static final String POSTGRES_IMAGE = "postgres:15-alpine";

    private static TestDatabase instance;

    private final String url;
    private final String user;
    private final String password;

    private TestDatabase(String url, String user, String password) {
        this.url = url;
        this.user = user;
        this.password = password;
    }

    public static synchronized TestDatabase get() {
        if (instance == null) {
            instance = start();
        }
        return instance;
    }

    public String url() {
        return url;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    /** A new connection of the test's own, outside the service's pool. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url, credentials(user, password));
    }

    /**
     * The first column of a query's first row (a count, say), on a connection of its own in
     * autocommit, so it sees what has committed by then; parameters bound in order.
     */
    public long queryLong(String sql, Object... parameters) {
        try (Connection connection = connect()) {
            return queryLong(connection, sql, parameters);
        } catch (SQLException failure) {
            throw new IllegalStateException(sql, failure);
        }
    }

    /** As {@link #queryLong(String, Object...)}, on the given connection (in its transaction, if any). */
    public static long queryLong(Connection connection, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                query.setObject(i + 1, parameters[i]);
            }
            try (ResultSet row = query.executeQuery()) {
                if (!row.next()) {
                    throw new IllegalStateException("no row: " + sql);
                }
                return row.getLong(1);
            }
        }
    }

    private static TestDatabase start() {
        String override = System.getenv("LEDGER_TEST_DB_URL");
        String user = envOr("LEDGER_TEST_DB_USER", "postgres");
        String password = envOr("LEDGER_TEST_DB_PASSWORD", "");
        if (override != null && !override.isBlank()) {
            return freshDatabaseOn(override, user, password);
        }
        if (dockerAvailable()) {
            PostgreSQLContainer<?> container = new PostgreSQLContainer<>(POSTGRES_IMAGE);
            container.start();
            Runtime.getRuntime().addShutdownHook(new Thread(container::stop));
            return new TestDatabase(container.getJdbcUrl(), container.getUsername(), container.getPassword());
        }
        return freshDatabaseOn(LOCAL_SERVER, user, password);
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError noDocker) {
            return false;
        }
    }

    private static TestDatabase freshDatabaseOn(String serverUrl, String user, String password) {
        String name = "ledger_test_" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss"))
                + "_" + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36)
                .toLowerCase(Locale.ROOT);
        try (Connection admin = DriverManager.getConnection(serverUrl, credentials(user, password));
             Statement statement = admin.createStatement()) {
            statement.execute("create database " + name);
        } catch (SQLException unreachable) {
            throw new IllegalStateException("No PostgreSQL for the tests at " + serverUrl + " (" + unreachable.getMessage()
                    + "). Run scripts/test, which starts or installs it, or set LEDGER_TEST_DB_URL.", unreachable);
        }
        String url = serverUrl.replaceFirst("/[^/?]*(\\?|$)", "/" + name + "$1");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> drop(serverUrl, user, password, name)));
        return new TestDatabase(url, user, password);
    }

    private static void drop(String serverUrl, String user, String password, String name) {
        try (Connection admin = DriverManager.getConnection(serverUrl, credentials(user, password));
             Statement statement = admin.createStatement()) {
            statement.execute("drop database if exists " + name + " with (force)");
        } catch (SQLException ignored) {
            // The server may already be gone at exit; a leftover test database holds nothing of value.
        }
    }

    private static Properties credentials(String user, String password) {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        return properties;
    }

    private static String envOr(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}

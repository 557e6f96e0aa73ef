package dev.ledger.api.web;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.regex.Pattern;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * Before the service starts: makes sure its PostgreSQL database exists, creating it on the server
 * if it is missing, and stops with a plain explanation when no server answers.
 */
public class DatabaseBootstrap implements ApplicationListener<ApplicationEnvironmentPreparedEvent> {

    private static final String INVALID_CATALOG_NAME = "3D000";
    private static final Pattern DATABASE_NAME = Pattern.compile("[A-Za-z0-9_]{1,63}");
    private static final int CONNECT_TIMEOUT_SECONDS = 5;

    @Override
    public void onApplicationEvent(ApplicationEnvironmentPreparedEvent event) {
        try {
            prepare(event.getEnvironment());
        } catch (DatabaseUnreachableException unreachable) {
            System.err.println(unreachable.getMessage());
            System.exit(2);
        }
    }

    /**
     * Makes sure the configured database exists, creating it if the server answers without it.
     *
     * @throws DatabaseUnreachableException with what to do about it, when it cannot
     */
    static void prepare(ConfigurableEnvironment environment) {
        String url = environment.getProperty("spring.datasource.url");
        if (url == null || !url.startsWith("jdbc:postgresql://")) {
            return;
        }
        Properties credentials = new Properties();
        credentials.setProperty("user", environment.getProperty("spring.datasource.username", "postgres"));
        credentials.setProperty("password", environment.getProperty("spring.datasource.password", ""));
        credentials.setProperty("connectTimeout", String.valueOf(CONNECT_TIMEOUT_SECONDS));
        try (Connection ignored = DriverManager.getConnection(url, credentials)) {
            return;
        } catch (SQLException failure) {
            if (INVALID_CATALOG_NAME.equals(failure.getSQLState())) {
                createDatabase(url, credentials);
                return;
            }
            fail(url, failure);
        }
    }

    private static void createDatabase(String url, Properties credentials) {
        URI uri = URI.create(url.substring("jdbc:".length()));
        String database = uri.getPath().substring(1);
        if (!DATABASE_NAME.matcher(database).matches()) {
            fail(url, new SQLException("database " + database + " does not exist and its name is not one"
                    + " this service creates ([A-Za-z0-9_]{1,63})"));
        }
        String serverUrl = "jdbc:postgresql://" + uri.getRawAuthority() + "/postgres";
        try (Connection connection = DriverManager.getConnection(serverUrl, credentials);
             Statement statement = connection.createStatement()) {
            statement.execute("create database \"" + database + "\"");
            System.out.println("Created PostgreSQL database " + database + " on " + uri.getRawAuthority());
        } catch (SQLException failure) {
            fail(url, failure);
        }
    }

    private static void fail(String url, SQLException failure) {
        String where = url.replaceFirst("\\?.*$", "");
        throw new DatabaseUnreachableException("""

                The ledger cannot reach its PostgreSQL database at %s
                (%s).

                Either start PostgreSQL on this machine:
                    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
                (or install it: apt-get install -y postgresql), or point the service at another server:
                    LEDGER_DB_URL=jdbc:postgresql://host:5432/ledger LEDGER_DB_USER=... LEDGER_DB_PASSWORD=...
                scripts/run does the former for you.
                """.formatted(where, failure.getMessage()));
    }

    /** No database to start with, and a message that says what to do. */
    static final class DatabaseUnreachableException extends RuntimeException {

        DatabaseUnreachableException(String message) {
            super(message, null, false, false);
        }
    }
}

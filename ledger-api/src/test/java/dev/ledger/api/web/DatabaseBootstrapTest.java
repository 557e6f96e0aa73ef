package dev.ledger.api.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledger.support.TestDatabase;
import java.net.ServerSocket;
import java.net.URI;
import org.springframework.core.env.ConfigurableEnvironment;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.DefaultBootstrapContext;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/** Proves that DatabaseBootstrap creates the service's PostgreSQL database when it is missing, and touches nothing else. */
class DatabaseBootstrapTest {

    /**
     * The PostgreSQL server of this test run (127.0.0.1:5432 as postgres unless Testcontainers or
     * LEDGER_TEST_DB_URL supply another); the bootstrap works on databases of its own there.
     */
    private static final String SERVER = URI.create(TestDatabase.get().url().substring("jdbc:".length()))
            .getRawAuthority();
    private static final String USER = TestDatabase.get().user();
    private static final String PASSWORD = TestDatabase.get().password();

    @Test
    void a_missing_database_is_created_before_the_service_starts() throws SQLException {
        String database = freshName();
        try {
            assertThat(exists(database)).as("database %s before", database).isFalse();

            new DatabaseBootstrap().onApplicationEvent(environmentPrepared(url(database)));

            assertThat(exists(database)).as("database %s after", database).isTrue();
            try (Connection connection = connect(database)) {
                assertThat(connection.isValid(5)).isTrue();
            }
        } finally {
            drop(database);
        }
    }

    @Test
    void a_database_that_exists_is_left_as_it_is() throws SQLException {
        String database = freshName();
        try {
            new DatabaseBootstrap().onApplicationEvent(environmentPrepared(url(database)));
            try (Connection connection = connect(database); Statement statement = connection.createStatement()) {
                statement.execute("create table kept (id int)");
                statement.execute("insert into kept values (7)");
            }

            new DatabaseBootstrap().onApplicationEvent(environmentPrepared(url(database) + "?ApplicationName=ledger"));

            try (Connection connection = connect(database); Statement statement = connection.createStatement();
                 ResultSet row = statement.executeQuery("select id from kept")) {
                assertThat(row.next()).isTrue();
                assertThat(row.getInt(1)).isEqualTo(7);
            }
        } finally {
            drop(database);
        }
    }

    @Test
    void a_datasource_that_is_not_postgresql_is_not_touched() throws SQLException {
        String database = freshName();
        new DatabaseBootstrap().onApplicationEvent(environmentPrepared("jdbc:h2:mem:" + database));
        new DatabaseBootstrap().onApplicationEvent(environmentPrepared(null));
        assertThat(exists(database)).isFalse();
    }

    @Test
    void an_unreachable_server_stops_the_start_with_a_message_that_says_what_to_do() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0)) {
            closedPort = probe.getLocalPort();
        }
        String unreachable = "jdbc:postgresql://127.0.0.1:" + closedPort + "/ledger";

        assertThatThrownBy(() -> DatabaseBootstrap.prepare(
                (ConfigurableEnvironment) environmentPrepared(unreachable).getEnvironment()))
                .isInstanceOf(DatabaseBootstrap.DatabaseUnreachableException.class)
                .hasMessageContaining(unreachable)
                .hasMessageContaining("pg_ctlcluster")
                .hasMessageContaining("apt-get install -y postgresql")
                .hasMessageContaining("LEDGER_DB_URL")
                .hasMessageContaining("scripts/run");
    }

    private static ApplicationEnvironmentPreparedEvent environmentPrepared(String datasourceUrl) {
        Map<String, Object> properties = new HashMap<>();
        if (datasourceUrl != null) {
            properties.put("spring.datasource.url", datasourceUrl);
        }
        properties.put("spring.datasource.username", USER);
        properties.put("spring.datasource.password", PASSWORD);
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("test", properties));
        return new ApplicationEnvironmentPreparedEvent(new DefaultBootstrapContext(), new SpringApplication(),
                new String[0], environment);
    }

    private static String freshName() {
        return "ledger_bootstrap_" + UUID.randomUUID().toString().replace("-", "").toLowerCase(Locale.ROOT);
    }

    private static String url(String database) {
        return "jdbc:postgresql://" + SERVER + "/" + database;
    }

    private static boolean exists(String database) throws SQLException {
        try (Connection admin = connect("postgres");
             PreparedStatement query = admin.prepareStatement("select 1 from pg_database where datname = ?")) {
            query.setString(1, database);
            try (ResultSet row = query.executeQuery()) {
                return row.next();
            }
        }
    }

    private static void drop(String database) throws SQLException {
        try (Connection admin = connect("postgres"); Statement statement = admin.createStatement()) {
            statement.execute("drop database if exists \"" + database + "\" with (force)");
        }
    }

    private static Connection connect(String database) throws SQLException {
        Properties credentials = new Properties();
        credentials.setProperty("user", USER);
        credentials.setProperty("password", PASSWORD);
        return DriverManager.getConnection(url(database), credentials);
    }
}

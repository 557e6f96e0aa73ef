package dev.ledger.api.security;

import dev.ledger.LedgerApplication;
import dev.ledger.support.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Starts the whole service in an application context of its own, on a random port against the
 * run's test database, with settings the shared test context does not have. Settings are passed
 * as command-line arguments, which (unlike default properties) win over application.yml.
 */
final class OwnApplication {

    private OwnApplication() {
    }

    static ConfigurableApplicationContext start(String... settings) {
        return builder().run(arguments(settings));
    }

    static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(LedgerApplication.class);
    }

    /** The database and a random port, then the given {@code name=value} settings, as arguments. */
    static String[] arguments(String... settings) {
        TestDatabase database = TestDatabase.get();
        List<String> arguments = new ArrayList<>(List.of(
                "--server.port=0",
                "--spring.datasource.url=" + database.url(),
                "--spring.datasource.username=" + database.user(),
                "--spring.datasource.password=" + database.password()));
        for (String setting : settings) {
            arguments.add("--" + setting);
        }
        return arguments.toArray(String[]::new);
    }

    static String baseUrl(ConfigurableApplicationContext application) {
        return "http://127.0.0.1:" + ((WebServerApplicationContext) application).getWebServer().getPort();
    }
}

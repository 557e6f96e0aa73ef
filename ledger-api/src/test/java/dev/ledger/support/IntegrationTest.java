package dev.ledger.support;

import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The whole service on a random port against the run's own PostgreSQL database. Every test class
 * extending this shares one application context; tests keep apart by using fresh account ids.
 *
 * <p>Metrics are exported as in production ({@code /actuator/prometheus}): Spring Boot's tests turn
 * exporters off unless asked, and asking on the base class keeps a single context (one relay
 * worker, one meter registry) for every test class.
 */
@AutoConfigureObservability(tracing = false)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
public abstract class IntegrationTest {

    @LocalServerPort
    private int port;

    protected LedgerClient ledger;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        TestDatabase database = TestDatabase.get();
        registry.add("spring.datasource.url", database::url);
        registry.add("spring.datasource.username", database::user);
        registry.add("spring.datasource.password", database::password);
        // Small rebuild chunks, so that every rebuild in the tests crosses many chunk boundaries,
        // in the middle of accounts too.
        registry.add("ledger.rebuild.chunk-size", () -> "7");
    }

    @BeforeEach
    void connectClient() {
        ledger = new LedgerClient("http://127.0.0.1:" + port);
    }

    /** An id no other test uses, valid as an account id or an idempotency key. */
    protected static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }
}

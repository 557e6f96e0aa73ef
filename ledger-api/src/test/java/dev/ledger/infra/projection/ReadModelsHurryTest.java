package dev.ledger.infra.projection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.infra.outbox.RelaySignal;
import dev.ledger.support.IntegrationTest;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.mockito.Mockito;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * A read that waits for its own write hurries the relay, whose wait between rounds would otherwise
 * add to the reader's; a read that finds what it asked for does not.
 */
class ReadModelsHurryTest extends IntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Autowired
    private JdbcTemplate jdbc;
    @Autowired
    private PlatformTransactionManager transactions;
    @Autowired
    private ReadModels service;

    @Test
    void a_read_waiting_for_a_version_hurries_the_relay() {
        RelaySignal relay = Mockito.spy(new RelaySignal());
        ReadModels readModels = new ReadModels(jdbc, transactions, relay);

        assertThat(readModels.awaitAccount(unique("never-opened"), 1, Duration.ofMillis(30))).isEmpty();

        Mockito.verify(relay, Mockito.atLeastOnce()).hurry();
    }

    @Test
    void a_read_that_finds_its_version_does_not() {
        String account = unique("hurry");
        assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);
        assertThat(service.awaitAccount(account, 1, WAIT)).isPresent();
        RelaySignal relay = Mockito.spy(new RelaySignal());
        ReadModels readModels = new ReadModels(jdbc, transactions, relay);

        assertThat(readModels.awaitAccount(account, 1, WAIT)).isPresent();

        Mockito.verify(relay, Mockito.never()).hurry();
    }
}

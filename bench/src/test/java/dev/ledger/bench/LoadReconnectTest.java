package dev.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The load generator counts the requests that had to open a connection first, as Tomcat makes it every 100. */
class LoadReconnectTest {

    private static final int CLOSE_EVERY = 4;

    private AnsweringServer server;
    private final AtomicLong answered = new AtomicLong();

    @BeforeEach
    void start() throws IOException {
        server = new AnsweringServer(exchange -> {
            if (answered.incrementAndGet() % CLOSE_EVERY == 0) {
                exchange.getResponseHeaders().set("Connection", "close");
            }
        });
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void requests_after_the_server_closed_the_connection_are_counted_apart() throws InterruptedException {
        Load load = new Load("127.0.0.1", server.port(), "Bearer key", "tag", true);

        Load.Result r = load.run("reconnects", List.of("acc-1"), 1, 0.1, 0.5, null);

        assertThat(r.errors()).isZero();
        assertThat(r.requests()).isGreaterThan(3L * CLOSE_EVERY);
        // One connection: every CLOSE_EVERY-th answer closes it, so the request after it opens a new one.
        assertThat(r.afterReconnect().count())
                .isBetween(r.requests() / CLOSE_EVERY - 2, r.requests() / CLOSE_EVERY + 2);
        assertThat(r.latency().count()).isEqualTo(r.requests());
    }
}

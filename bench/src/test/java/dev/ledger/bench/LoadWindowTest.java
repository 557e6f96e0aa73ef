package dev.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a phase does when its measured window begins (the benchmark scrapes the service's metrics
 * and reads the machine's and PostgreSQL's counters) is not measured: the window opens when that
 * is done.
 */
class LoadWindowTest {

    private AnsweringServer server;
    /** Set while the start work runs: answers then wait for it to end, as on a machine it keeps busy. */
    private volatile boolean busy;
    /** Counted down by each request the start work holds: it lasts until both connections have one. */
    private final CountDownLatch held = new CountDownLatch(2);
    /** When the server received each request it held. */
    private final Queue<Long> heldReceived = new ConcurrentLinkedQueue<>();
    private final CountDownLatch startWorkDone = new CountDownLatch(1);
    private final AtomicLong answered = new AtomicLong();

    @BeforeEach
    void start() throws IOException {
        server = new AnsweringServer(exchange -> {
            long received = System.nanoTime();
            if (busy) {
                heldReceived.add(received);
                held.countDown();
                try {
                    if (!startWorkDone.await(10, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the start work did not end within 10 s");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            answered.incrementAndGet();
        });
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void requests_made_while_the_phase_start_work_runs_are_not_measured() throws InterruptedException {
        Load load = new Load("127.0.0.1", server.port(), "Bearer key", "tag", true);
        long[] startWorkEnded = new long[1];

        Load.Result r = load.run("window", List.of("acc-1"), 2, 0.1, 0.5, () -> {
            busy = true;
            try {
                // The start work lasts until each connection has sent a request that it holds.
                if (!held.await(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("no request from each connection within 10 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                startWorkEnded[0] = System.nanoTime();
                busy = false;
                startWorkDone.countDown();
            }
        });

        assertThat(r.errors()).isZero();
        assertThat(r.requests()).isPositive();
        assertThat(r.latency().count()).isEqualTo(r.requests());
        // Both connections sent a request that the start work held, before it ended ...
        assertThat(heldReceived).hasSize(2).allMatch(received -> received < startWorkEnded[0]);
        // ... and the window, which measures only requests sent after it opened, opened after that.
        assertThat(r.windowStartNanos()).isGreaterThanOrEqualTo(startWorkEnded[0]);
    }

    @Test
    void the_window_opens_and_the_connections_stop_even_if_the_phase_start_work_fails() throws InterruptedException {
        Load load = new Load("127.0.0.1", server.port(), "Bearer key", "tag", true);

        assertThatThrownBy(() -> load.run("failing", List.of("acc-1"), 2, 0.1, 0.3, () -> {
            throw new IllegalStateException("scrape failed");
        })).isInstanceOf(IllegalStateException.class);

        // The window (0.3 s) opened when the start work failed, so the phase's connection threads
        // ("load-failing-N") end soon after; each is waited for, 5 s at most in all.
        List<Thread> connections = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("load-failing-")).toList();
        assertThat(connections).hasSize(2);
        long deadline = System.nanoTime() + 5_000_000_000L;
        for (Thread connection : connections) {
            connection.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        }
        assertThat(connections).noneMatch(Thread::isAlive);
        assertThat(answered.get()).isPositive();
    }
}

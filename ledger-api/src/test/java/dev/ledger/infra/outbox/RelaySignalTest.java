package dev.ledger.infra.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The relay's wait between rounds ends early when a reader waits for the read models: a hurry
 * that came before the wait, or while it runs, ends it; one hurry ends one wait.
 */
class RelaySignalTest {

    /** Far longer than any bound below: a wait that is not ended early fails the test. */
    private static final long LONG_WAIT_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final Duration BOUND = Duration.ofSeconds(10);

    private final RelaySignal signal = new RelaySignal();

    @Test
    void a_hurry_before_the_wait_ends_it() {
        signal.hurry();

        assertTimeoutPreemptively(BOUND, () -> signal.linger(LONG_WAIT_NANOS));
    }

    @Test
    void a_hurry_during_the_wait_ends_it() throws Exception {
        ExecutorService relay = Executors.newSingleThreadExecutor();
        try {
            CountDownLatch waiting = new CountDownLatch(1);
            Future<?> wait = relay.submit(() -> {
                waiting.countDown();
                signal.linger(LONG_WAIT_NANOS);
                return null;
            });
            assertThat(waiting.await(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();

            signal.hurry();

            wait.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        } finally {
            relay.shutdownNow();
        }
    }

    @Test
    void one_hurry_ends_one_wait_however_often_it_was_asked_for() throws InterruptedException {
        signal.hurry();
        signal.hurry();
        assertTimeoutPreemptively(BOUND, () -> signal.linger(LONG_WAIT_NANOS));

        long start = System.nanoTime();
        signal.linger(TimeUnit.MILLISECONDS.toNanos(50));

        assertThat(System.nanoTime() - start).as("the next wait runs its course")
                .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(50));
    }
}

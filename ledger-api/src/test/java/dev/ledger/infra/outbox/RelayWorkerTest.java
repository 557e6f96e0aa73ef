package dev.ledger.infra.outbox;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.ledger.infra.outbox.OutboxRelay.Round;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.Mockito;

/**
 * The relay's worker hands each round's oldest lag to its wait between rounds ({@link Linger}), and
 * shows the wait as {@code ledger.relay.linger}. The rounds are scripted: the worker's thread asks
 * for each one, so the test reads the gauge once the worker has taken the previous round into
 * account and come back for the next.
 */
class RelayWorkerTest {

    private static final long WAIT_SECONDS = 10;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final BlockingQueue<Round> rounds = new LinkedBlockingQueue<>();
    /** Released each time the worker asks for a round. */
    private final Semaphore asked = new Semaphore(0);
    private final RelaySignal signal = Mockito.spy(new RelaySignal());
    private RelayWorker worker;

    @BeforeEach
    void start() throws InterruptedException {
        OutboxRelay relay = Mockito.mock(OutboxRelay.class);
        Mockito.when(relay.relayRound()).thenAnswer(call -> {
            asked.release();
            Round round = rounds.poll(WAIT_SECONDS, SECONDS);
            return round == null ? new Round(0, null) : round;
        });
        RelayProperties properties = new RelayProperties(true, 500, Duration.ofMillis(100), Duration.ofMillis(20),
                Duration.ofMillis(25));
        worker = new RelayWorker(relay, signal, properties, registry);
        worker.start();
        assertThat(asked.tryAcquire(WAIT_SECONDS, SECONDS)).as("the worker asked for its first round").isTrue();
    }

    @AfterEach
    void stop() {
        worker.stop();
    }

    /** Hands the worker a round and answers the wait once it has come back for the next one, in ms. */
    private double waitAfter(Round round) throws InterruptedException {
        rounds.add(round);
        assertThat(asked.tryAcquire(WAIT_SECONDS, SECONDS)).as("the worker asked for its next round").isTrue();
        return lingerMillis();
    }

    private double lingerMillis() {
        return registry.get("ledger.relay.linger").gauge().value() * 1000;
    }

    @Test
    void the_wait_follows_the_lag_of_each_rounds_oldest_event() throws InterruptedException {
        assertThat(lingerMillis()).isZero();

        // Quick rounds (5 ms against a 25 ms target): up by half the room each time, to the 20 ms most.
        assertThat(waitAfter(new Round(10, Duration.ofMillis(5)))).isCloseTo(10, within(1e-6));
        assertThat(waitAfter(new Round(10, Duration.ofMillis(5)))).isCloseTo(20, within(1e-6));
        // A round 40 ms past the target: no wait at all.
        assertThat(waitAfter(new Round(10, Duration.ofMillis(65)))).isZero();
        // A round that cannot tell its lag (a careful one) leaves the wait where it is.
        assertThat(waitAfter(new Round(10, null))).isZero();
        assertThat(waitAfter(new Round(10, Duration.ofMillis(15)))).isCloseTo(5, within(1e-6));
        // A full batch, which goes straight on, still counts.
        assertThat(waitAfter(new Round(500, Duration.ofMillis(45)))).isZero();
    }

    @Test
    void the_wait_is_the_signals_so_that_a_reader_can_end_it() throws InterruptedException {
        waitAfter(new Round(10, Duration.ofMillis(5)));
        waitAfter(new Round(10, Duration.ofMillis(5)));
        waitAfter(new Round(500, Duration.ofMillis(5)));

        // After each round that found fewer than a batch, for as long as the wait was then.
        Mockito.verify(signal).linger(Duration.ofMillis(10).toNanos());
        Mockito.verify(signal).linger(Duration.ofMillis(20).toNanos());
        // After a full batch, none.
        Mockito.verify(signal, Mockito.times(2)).linger(Mockito.anyLong());
    }

    @Test
    void a_round_that_found_nothing_leaves_the_wait() throws InterruptedException {
        assertThat(waitAfter(new Round(10, Duration.ofMillis(5)))).isCloseTo(10, within(1e-6));

        assertThat(waitAfter(new Round(0, null))).isCloseTo(10, within(1e-6));
    }
}

package dev.ledger.infra.outbox;

import dev.ledger.infra.projection.ProjectionMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * How long the relay's rounds take: every round that delivered rows, from its start (the lock and
 * the read) to its commit, careful rounds included. A read model that lags while the rounds stay
 * short is waiting for the relay to run, not for its rounds; rounds that take long are the lag.
 * A round over {@link #SLOW_ROUND} is also logged, at most once per {@link #SLOW_LOG_INTERVAL} (the
 * next line counts those left out and tells the slowest of them), with where its time went: its
 * first round trip (the relay lock and the read of the pending rows, and most often the read
 * models' read with them), applying them (the service's work on them, and the read models' read,
 * a round trip of its own, when the first did not serve: the line then says so), and its last round
 * trip (the read models' rows, the delivered rows' removal and the commit, whose WAL flush is where
 * a disk that stalls holds a round up).
 */
@Component
public class RelayMetrics {

    private static final Logger log = LoggerFactory.getLogger(RelayMetrics.class);

    /**
     * The read-model lag's budget (its p99 target): a round that takes longer holds every event it
     * carries, and those that wait behind it, past the budget by itself.
     */
    static final Duration SLOW_ROUND = Duration.ofMillis(50);
    static final Duration SLOW_LOG_INTERVAL = Duration.ofSeconds(10);

    private final Timer rounds;
    private final LongSupplier nanoClock;
    private final Object slowLog = new Object();
    /** Set back one interval at the start, so that the first slow round is logged. */
    private long lastSlowLogNanos;
    private long slowUnlogged;
    /** The slowest of the rounds left out since the last line, told with the next one; null when none. */
    private Slow slowestUnlogged;

    @Autowired
    RelayMetrics(MeterRegistry registry) {
        this(registry, System::nanoTime);
    }

    /** With the clock that spaces the log lines ({@link System#nanoTime} but in tests). */
    RelayMetrics(MeterRegistry registry, LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.lastSlowLogNanos = nanoClock.getAsLong() - SLOW_LOG_INTERVAL.toNanos();
        rounds = Timer.builder("ledger.relay.round")
                .description("Relay rounds that delivered rows, from the round's start to its commit")
                // The lag's fixed buckets: a scraper can diff two scrapes, and read both on one scale.
                .serviceLevelObjectives(ProjectionMetrics.lagBuckets())
                .register(registry);
    }

    /**
     * Lets the next slow round be logged whenever it comes, however recent the last line: for a
     * test that holds a round up on purpose in a process whose other rounds may have been logged.
     */
    void logNextSlowRound() {
        synchronized (slowLog) {
            lastSlowLogNanos = nanoClock.getAsLong() - SLOW_LOG_INTERVAL.toNanos();
        }
    }

    /**
     * A round that delivered {@code rows} in {@code nanos}, of which {@code readNanos} until its
     * pending rows had been read (its first round trip) and {@code appliedNanos} until they had been
     * applied (its last round trip about to go); {@code careful} if it went the careful way (then the
     * rest after the read is the careful round's transactions, and {@code appliedNanos} is not told);
     * {@code readModelsAlongside} if the read models were read in the first round trip, with the rows.
     */
    void round(long nanos, long readNanos, long appliedNanos, int rows, boolean careful,
               boolean readModelsAlongside) {
        rounds.record(nanos, TimeUnit.NANOSECONDS);
        if (nanos < SLOW_ROUND.toNanos()) {
            return;
        }
        Slow round = new Slow(nanos, readNanos, appliedNanos, rows, careful, readModelsAlongside);
        long now = nanoClock.getAsLong();
        long skipped;
        Slow slowest;
        synchronized (slowLog) {
            if (now - lastSlowLogNanos < SLOW_LOG_INTERVAL.toNanos()) {
                slowUnlogged++;
                if (slowestUnlogged == null || nanos > slowestUnlogged.nanos()) {
                    slowestUnlogged = round;
                }
                return;
            }
            lastSlowLogNanos = now;
            skipped = slowUnlogged;
            slowest = slowestUnlogged;
            slowUnlogged = 0;
            slowestUnlogged = null;
        }
        log.info("A relay round took {}{}", round,
                skipped > 0 ? "; " + skipped + " more slow round(s) since the last such line, the slowest " + slowest
                        : "");
    }

    /** A slow round, as its log line tells it. */
    private record Slow(long nanos, long readNanos, long appliedNanos, int rows, boolean careful,
                        boolean readModelsAlongside) {
        @Override
        public String toString() {
            String head = TimeUnit.NANOSECONDS.toMillis(nanos) + " ms for " + rows + " outbox row(s): "
                    + TimeUnit.NANOSECONDS.toMillis(readNanos) + " ms to lock and read them"
                    + (readModelsAlongside ? " and the read models, " : ", ");
            if (careful) {
                return head + TimeUnit.NANOSECONDS.toMillis(nanos - readNanos)
                        + " ms to fail at once and deliver them a command at a time (careful)";
            }
            return head + TimeUnit.NANOSECONDS.toMillis(appliedNanos - readNanos)
                    + (readModelsAlongside ? " ms to apply them, " : " ms to read the read models and apply them, ")
                    + TimeUnit.NANOSECONDS.toMillis(nanos - appliedNanos)
                    + " ms to write them, remove them and commit";
        }
    }
}

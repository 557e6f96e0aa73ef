package dev.ledger.infra.outbox;

import dev.ledger.infra.projection.ProjectionMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * How long the relay's rounds take: every round that delivered rows, from its start (the lock and
 * the read) to its commit, careful rounds included. A read model that lags while the rounds stay
 * short is waiting for the relay to run, not for its rounds; rounds that take long are the lag.
 * A round over {@link #SLOW_ROUND} is also logged, at most once per {@link #SLOW_LOG_INTERVAL}.
 */
@Component
public class RelayMetrics {

    private static final Logger log = LoggerFactory.getLogger(RelayMetrics.class);

    static final Duration SLOW_ROUND = Duration.ofMillis(200);
    static final Duration SLOW_LOG_INTERVAL = Duration.ofSeconds(10);

    private final Timer rounds;
    private final Object slowLog = new Object();
    /** Set back one interval at the start, so that the first slow round is logged. */
    private long lastSlowLogNanos = System.nanoTime() - SLOW_LOG_INTERVAL.toNanos();
    private long slowUnlogged;

    RelayMetrics(MeterRegistry registry) {
        rounds = Timer.builder("ledger.relay.round")
                .description("Relay rounds that delivered rows, from the round's start to its commit")
                // The lag's fixed buckets: a scraper can diff two scrapes, and read both on one scale.
                .serviceLevelObjectives(ProjectionMetrics.lagBuckets())
                .register(registry);
    }

    /** A round that delivered {@code rows} in {@code nanos}; {@code careful} if it went the careful way. */
    void round(long nanos, int rows, boolean careful) {
        rounds.record(nanos, TimeUnit.NANOSECONDS);
        if (nanos < SLOW_ROUND.toNanos()) {
            return;
        }
        long now = System.nanoTime();
        long skipped;
        synchronized (slowLog) {
            if (now - lastSlowLogNanos < SLOW_LOG_INTERVAL.toNanos()) {
                slowUnlogged++;
                return;
            }
            lastSlowLogNanos = now;
            skipped = slowUnlogged;
            slowUnlogged = 0;
        }
        log.info("A relay round took {} ms for {} outbox row(s){}{}", TimeUnit.NANOSECONDS.toMillis(nanos), rows,
                careful ? " (careful: applied a command at a time)" : "",
                skipped > 0 ? "; " + skipped + " more slow rounds since the last such line" : "");
    }
}

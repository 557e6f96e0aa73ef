package dev.ledger.infra.outbox;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
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

    /** Fixed buckets (as the lag's), so that a scraper can diff two scrapes. */
    private static final Duration[] ROUND_BUCKETS = LongStream.of(
                    1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000, 2000, 5000, 10000)
            .mapToObj(Duration::ofMillis).toArray(Duration[]::new);

    static final Duration SLOW_ROUND = Duration.ofMillis(200);
    static final Duration SLOW_LOG_INTERVAL = Duration.ofSeconds(10);

    private final Timer rounds;
    private final Object slowLog = new Object();
    private long lastSlowLogNanos;
    private boolean slowLogged;
    private long slowUnlogged;

    RelayMetrics(MeterRegistry registry) {
        rounds = Timer.builder("ledger.relay.round")
                .description("Relay rounds that delivered rows, from the round's start to its commit")
                .serviceLevelObjectives(ROUND_BUCKETS)
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
            if (slowLogged && now - lastSlowLogNanos < SLOW_LOG_INTERVAL.toNanos()) {
                slowUnlogged++;
                return;
            }
            slowLogged = true;
            lastSlowLogNanos = now;
            skipped = slowUnlogged;
            slowUnlogged = 0;
        }
        log.info("A relay round took {} ms for {} outbox row(s){}{}", TimeUnit.NANOSECONDS.toMillis(nanos), rows,
                careful ? " (careful: applied a command at a time)" : "",
                skipped > 0 ? "; " + skipped + " more slow rounds since the last such line" : "");
    }
}

package dev.ledger.infra.projection;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.stream.LongStream;
import org.springframework.stereotype.Component;

/**
 * What the read-model consumer counts: duplicates dropped, gaps held, deliveries that went the
 * careful way, and how far it lags.
 */
@Component
public class ProjectionMetrics {

    /**
     * The lag's fixed buckets, 1 ms to 10 s; the relay's round timer uses them too, so that a round
     * and the lag it causes read on one scale.
     */
    private static final Duration[] LAG_BUCKETS = LongStream.of(
                    1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000, 2000, 5000, 10000)
            .mapToObj(Duration::ofMillis).toArray(Duration[]::new);

    private final Counter duplicates;
    private final Counter gaps;
    private final Counter outOfOrder;
    private final Counter careful;
    private final Timer lag;

    /** {@link #LAG_BUCKETS}, a copy. */
    public static Duration[] lagBuckets() {
        return LAG_BUCKETS.clone();
    }

    ProjectionMetrics(MeterRegistry registry) {
        duplicates = Counter.builder("ledger.projection.duplicates.dropped")
                .description("Relayed events dropped because the read model had already applied them")
                .register(registry);
        gaps = Counter.builder("ledger.projection.gaps.held")
                .description("Relayed events held because an earlier version of their account had not arrived")
                .register(registry);
        outOfOrder = Counter.builder("ledger.projection.out.of.order")
                .description("Relayed events that arrived other than as their account's next version")
                .register(registry);
        careful = Counter.builder("ledger.projection.deliveries.careful")
                .description("Deliveries that could not be applied at once (a gap, a held event, a refusal,"
                        + " a failure) and were applied a command at a time instead")
                .register(registry);
        lag = Timer.builder("ledger.projection.lag")
                .description("From a command's acceptance to the commit that applied its event to the read models")
                // Fixed buckets, so that a scraper can take the difference of two scrapes and
                // read the lag distribution of exactly the interval between them.
                .serviceLevelObjectives(LAG_BUCKETS)
                .register(registry);
    }

    void duplicateDropped() {
        duplicates.increment();
        outOfOrder.increment();
    }

    void gapHeld() {
        gaps.increment();
        outOfOrder.increment();
    }

    void carefulDelivery() {
        careful.increment();
    }

    void applied(Duration sinceAccepted) {
        lag.record(sinceAccepted.isNegative() ? Duration.ZERO : sinceAccepted);
    }

    public double duplicatesDropped() {
        return duplicates.count();
    }

    public double gapsHeld() {
        return gaps.count();
    }

    public double outOfOrderDetections() {
        return outOfOrder.count();
    }

    public double carefulDeliveries() {
        return careful.count();
    }
}

package dev.ledger.infra.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The relay's round timer and its log line for rounds over the read-model lag's budget: where such
 * a round's time went, at most one line per interval, the lines left out counted in the next.
 */
class RelayMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicLong now = new AtomicLong(TimeUnit.HOURS.toNanos(5));
    private final RelayMetrics metrics = new RelayMetrics(registry, now::get);
    private final Logger logger = (Logger) LoggerFactory.getLogger(RelayMetrics.class);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private Level levelBefore;

    @BeforeEach
    void capture() {
        levelBefore = logger.getLevel();
        logger.setLevel(Level.INFO);
        logged.start();
        logger.addAppender(logged);
    }

    @AfterEach
    void release() {
        logger.detachAppender(logged);
        logger.setLevel(levelBefore);
    }

    @Test
    void a_round_within_the_lag_budget_is_timed_and_not_logged() {
        metrics.round(millis(49), millis(2), millis(13), 10, false, false);

        assertThat(registry.get("ledger.relay.round").timer().count()).isEqualTo(1);
        assertThat(registry.get("ledger.relay.round").timer().totalTime(TimeUnit.MILLISECONDS)).isEqualTo(49);
        assertThat(logged.list).isEmpty();
    }

    @Test
    void a_round_over_the_budget_is_logged_with_where_its_time_went() {
        metrics.round(millis(120), millis(3), millis(32), 16, false, false);
        metrics.logNextSlowRound();
        metrics.round(millis(80), millis(70), millis(70), 4, true, false);
        metrics.logNextSlowRound();
        metrics.round(millis(75), millis(21), millis(23), 8, false, true);

        assertThat(messages()).containsExactly(
                "A relay round took 120 ms for 16 outbox row(s): 3 ms to lock and read them,"
                        + " 29 ms to read the read models and apply them, 88 ms to write them, remove them and commit",
                "A relay round took 80 ms for 4 outbox row(s): 70 ms to lock and read them,"
                        + " 10 ms to fail at once and deliver them a command at a time (careful)",
                "A relay round took 75 ms for 8 outbox row(s): 21 ms to lock and read them and the read models,"
                        + " 2 ms to apply them, 52 ms to write them, remove them and commit");
        assertThat(registry.get("ledger.relay.round").timer().count()).isEqualTo(3);
    }

    @Test
    void slow_rounds_are_logged_at_most_once_per_interval_and_the_next_line_tells_the_slowest_left_out() {
        metrics.round(millis(60), millis(1), millis(15), 1, false, false);
        now.addAndGet(TimeUnit.SECONDS.toNanos(4));
        metrics.round(millis(70), millis(1), millis(18), 2, false, false);
        now.addAndGet(TimeUnit.SECONDS.toNanos(3));
        metrics.round(millis(480), millis(2), millis(121), 9, false, false);
        now.addAndGet(TimeUnit.SECONDS.toNanos(2));
        metrics.round(millis(90), millis(1), millis(23), 3, false, false);
        assertThat(messages()).hasSize(1);

        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        metrics.round(millis(55), millis(5), millis(17), 4, false, false);
        now.addAndGet(TimeUnit.SECONDS.toNanos(10));
        metrics.round(millis(65), millis(6), millis(20), 5, false, false);

        assertThat(messages()).containsExactly(
                "A relay round took 60 ms for 1 outbox row(s): 1 ms to lock and read them,"
                        + " 14 ms to read the read models and apply them, 45 ms to write them, remove them and commit",
                "A relay round took 55 ms for 4 outbox row(s): 5 ms to lock and read them,"
                        + " 12 ms to read the read models and apply them, 38 ms to write them, remove them and commit;"
                        + " 3 more slow round(s) since the last"
                        + " such line, the slowest 480 ms for 9 outbox row(s): 2 ms to lock and read them,"
                        + " 119 ms to read the read models and apply them, 359 ms to write them, remove them and commit",
                "A relay round took 65 ms for 5 outbox row(s): 6 ms to lock and read them,"
                        + " 14 ms to read the read models and apply them, 45 ms to write them, remove them and commit");
    }

    private List<String> messages() {
        return logged.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    private static long millis(long ms) {
        return TimeUnit.MILLISECONDS.toNanos(ms);
    }
}

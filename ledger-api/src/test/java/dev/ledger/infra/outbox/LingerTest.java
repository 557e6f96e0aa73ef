package dev.ledger.infra.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The relay's wait between rounds follows the lag: it settles where a round's oldest event comes in
 * at the target, no higher than its maximum, and a late round takes it down at once.
 */
class LingerTest {

    private static final Duration MAX = Duration.ofMillis(20);
    private static final Duration TARGET = Duration.ofMillis(30);

    /**
     * A relay whose round's oldest event waited for the wait before the round plus {@code rest} (the
     * rounds' own time and the writer's): the lag that each round reports to the linger.
     */
    private static long settle(Linger linger, Duration rest, int rounds) {
        for (int i = 0; i < rounds; i++) {
            linger.afterRound(Duration.ofNanos(linger.nanos()).plus(rest));
        }
        return linger.nanos();
    }

    @Test
    void starts_at_nothing_and_settles_where_the_oldest_event_meets_the_target() {
        Linger linger = new Linger(MAX, TARGET);
        assertThat(linger.nanos()).isZero();

        // Rounds that take 16 ms between them: the target leaves room for 14 ms of waiting.
        long settled = settle(linger, Duration.ofMillis(16), 30);

        assertThat(settled).isBetween(Duration.ofMillis(14).toNanos() - 1_000, Duration.ofMillis(14).toNanos());
    }

    @Test
    void quick_rounds_wait_no_longer_than_the_maximum() {
        Linger linger = new Linger(MAX, TARGET);

        // Rounds of 1 ms in all: the target would allow 29 ms; the maximum is 20.
        assertThat(settle(linger, Duration.ofMillis(1), 30)).isEqualTo(MAX.toNanos());
    }

    @Test
    void a_late_round_takes_the_wait_down_by_half_how_late_it_came() {
        Linger linger = new Linger(MAX, TARGET);
        settle(linger, Duration.ofMillis(16), 30);
        long before = linger.nanos();

        linger.afterRound(Duration.ofMillis(40));

        assertThat(linger.nanos()).isEqualTo(before - Duration.ofMillis(5).toNanos());

        // A round that came in far past the target: no wait at all, until rounds come back in time.
        linger.afterRound(Duration.ofMillis(300));
        assertThat(linger.nanos()).isZero();
        linger.afterRound(Duration.ofMillis(20));
        assertThat(linger.nanos()).isEqualTo(Duration.ofMillis(5).toNanos());
    }

    @Test
    void slow_rounds_wait_nothing() {
        Linger linger = new Linger(MAX, TARGET);

        // Rounds that already take more than the target between them: waiting would only add lag.
        assertThat(settle(linger, Duration.ofMillis(35), 30)).isZero();
    }

    @Test
    void a_round_that_cannot_tell_its_lag_leaves_the_wait() {
        Linger linger = new Linger(MAX, TARGET);
        settle(linger, Duration.ofMillis(16), 30);
        long before = linger.nanos();

        linger.afterRound(null);

        assertThat(linger.nanos()).isEqualTo(before);
    }

    @Test
    void lags_from_clocks_that_are_off_stay_within_the_bounds() {
        Linger linger = new Linger(MAX, TARGET);

        linger.afterRound(Duration.ofDays(-365_000));
        assertThat(linger.nanos()).isEqualTo(MAX.toNanos());

        linger.afterRound(Duration.ofDays(365_000));
        assertThat(linger.nanos()).isZero();
    }

    @Test
    void no_wait_without_a_maximum() {
        Linger linger = new Linger(Duration.ZERO, TARGET);

        assertThat(settle(linger, Duration.ofMillis(1), 10)).isZero();
    }

    @Test
    void negative_bounds_are_refused() {
        assertThatThrownBy(() -> new Linger(Duration.ofMillis(-1), TARGET))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Linger(MAX, Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

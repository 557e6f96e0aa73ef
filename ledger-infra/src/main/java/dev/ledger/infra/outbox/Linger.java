package dev.ledger.infra.outbox;

import java.time.Duration;

/**
 * How long the relay waits after a round that found fewer rows than a batch, so that rows gather.
 * The longer it waits, the fewer and larger its rounds and the less CPU an event costs; the wait
 * adds to the read models' lag. So the wait follows the lag: after every round that delivered rows
 * it moves halfway from where it is towards the wait that would have brought the round's oldest
 * event in at the lag target (the room the round left: the target less that event's lag), never
 * below 0 nor above the most it may be. The oldest event of a round waited, give or take the rounds'
 * own time, for the wait before that round; so where rounds are quick the wait settles near the
 * target less about two rounds' time, and a round that comes late (a stalling disk, a backlog, a
 * machine short of cores) takes it down at once, by half of how late it came.
 *
 * <p>Used by the relay's one thread; read by the metrics' scraper (hence volatile).
 */
final class Linger {

    private static final Duration LAG_BOUND = Duration.ofDays(1);

    private final long maxNanos;
    private final long lagTargetNanos;
    /** Starts at 0: the first rounds after a start wait nothing and show how long they take. */
    private volatile long nanos;

    /**
     * @param max       the longest wait
     * @param lagTarget the lag of a round's oldest event that the wait aims at
     */
    Linger(Duration max, Duration lagTarget) {
        if (max.isNegative() || lagTarget.isNegative()) {
            throw new IllegalArgumentException("a linger and its lag target cannot be negative");
        }
        this.maxNanos = max.toNanos();
        this.lagTargetNanos = lagTarget.toNanos();
    }

    /**
     * After a round that delivered rows: {@code oldestLag} is the lag of its oldest event, from the
     * command's acceptance to the round's commit (null when the round could not tell it, as a careful
     * one: the wait stays).
     */
    void afterRound(Duration oldestLag) {
        if (oldestLag == null) {
            return;
        }
        // Within a day either way (a row from an instance whose clock is off may even look early), so
        // that the arithmetic cannot overflow; anything beyond takes the wait to a bound all the same.
        Duration lag = oldestLag.compareTo(LAG_BOUND) > 0 ? LAG_BOUND
                : oldestLag.compareTo(LAG_BOUND.negated()) < 0 ? LAG_BOUND.negated() : oldestLag;
        long next = nanos + (lagTargetNanos - lag.toNanos()) / 2;
        nanos = Math.max(0, Math.min(maxNanos, next));
    }

    /** How long to wait now, after a round that found fewer rows than a batch. */
    long nanos() {
        return nanos;
    }
}

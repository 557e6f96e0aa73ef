package dev.ledger.support;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Bounded waiting: looks again every few milliseconds until a condition holds or a deadline passes. */
public final class Poll {

    /** The longest any single wait in these tests may last before the test fails instead of hanging. */
    public static final Duration WAIT = Duration.ofSeconds(30);

    private static final long INTERVAL_NANOS = Duration.ofMillis(20).toNanos();

    private Poll() {
    }

    /** The first value that satisfies the condition; fails with the last value seen once {@link #WAIT} has passed. */
    public static <T> T until(String what, Supplier<T> probe, Predicate<? super T> condition) {
        return until(what, WAIT, probe, condition);
    }

    public static <T> T until(String what, Duration wait, Supplier<T> probe, Predicate<? super T> condition) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            T value = probe.get();
            if (condition.test(value)) {
                return value;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + wait + " waiting for " + what + "; last seen: " + value);
            }
            LockSupport.parkNanos(INTERVAL_NANOS);
        }
    }
}

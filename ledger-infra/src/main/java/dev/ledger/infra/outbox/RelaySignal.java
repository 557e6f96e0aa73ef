package dev.ledger.infra.outbox;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.springframework.stereotype.Component;

/**
 * Wakes the relay when new outbox rows commit, so delivery does not wait for the next poll; and ends
 * its wait between rounds ({@link Linger}) when a reader waits for the read models, so a read of
 * one's own write does not wait for rows to gather. Each is one permit at most: however often it is
 * given, it ends one wait.
 */
@Component
public class RelaySignal {

    private final Semaphore wakeUps = new Semaphore(0);
    private final Semaphore hurries = new Semaphore(0);

    public void wake() {
        giveOnce(wakeUps);
    }

    /**
     * A reader waits for the read models to reach a version: the relay's current or next wait
     * between rounds ends now.
     */
    public void hurry() {
        giveOnce(hurries);
    }

    /** The relay's wait between rounds: at most the given time, less if a reader hurries it. */
    void linger(long nanos) throws InterruptedException {
        take(hurries, nanos);
    }

    /** Waits at most the given time for a wake-up; true when one came. */
    boolean await(long timeoutMillis) throws InterruptedException {
        return take(wakeUps, TimeUnit.MILLISECONDS.toNanos(timeoutMillis));
    }

    private static void giveOnce(Semaphore signal) {
        if (signal.availablePermits() == 0) {
            signal.release();
        }
    }

    /** Waits at most the given time for the signal, then clears it; true when it came. */
    private static boolean take(Semaphore signal, long nanos) throws InterruptedException {
        boolean given = signal.tryAcquire(nanos, TimeUnit.NANOSECONDS);
        signal.drainPermits();
        return given;
    }
}

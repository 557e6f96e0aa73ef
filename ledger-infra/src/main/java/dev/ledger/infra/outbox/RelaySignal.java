package dev.ledger.infra.outbox;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.springframework.stereotype.Component;

/**
 * Wakes the relay when new outbox rows commit, so delivery does not wait for the next poll; and ends
 * its wait between rounds ({@link Linger}) when a reader waits for the read models, so a read of
 * one's own write does not wait for rows to gather.
 */
@Component
public class RelaySignal {

    private final Semaphore permits = new Semaphore(0);
    private final Semaphore hurries = new Semaphore(0);

    public void wake() {
        if (permits.availablePermits() == 0) {
            permits.release();
        }
    }

    /**
     * A reader waits for the read models to reach a version: the relay's current or next wait
     * between rounds ends now.
     */
    public void hurry() {
        if (hurries.availablePermits() == 0) {
            hurries.release();
        }
    }

    /** The relay's wait between rounds: at most the given time, less if a reader hurries it. */
    void linger(long nanos) throws InterruptedException {
        hurries.tryAcquire(nanos, TimeUnit.NANOSECONDS);
        hurries.drainPermits();
    }

    /** Waits at most the given time for a wake-up; true when one came. */
    boolean await(long timeoutMillis) throws InterruptedException {
        boolean woken = permits.tryAcquire(timeoutMillis, TimeUnit.MILLISECONDS);
        permits.drainPermits();
        return woken;
    }
}

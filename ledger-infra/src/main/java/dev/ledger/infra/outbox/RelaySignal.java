package dev.ledger.infra.outbox;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.springframework.stereotype.Component;

/** Wakes the relay when new outbox rows commit, so delivery does not wait for the next poll. */
@Component
public class RelaySignal {

    private final Semaphore permits = new Semaphore(0);

    public void wake() {
        if (permits.availablePermits() == 0) {
            permits.release();
        }
    }

    /** Waits at most the given time for a wake-up; true when one came. */
    boolean await(long timeoutMillis) throws InterruptedException {
        boolean woken = permits.tryAcquire(timeoutMillis, TimeUnit.MILLISECONDS);
        permits.drainPermits();
        return woken;
    }
}

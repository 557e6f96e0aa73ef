package dev.ledger.infra.outbox;

import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Runs relay rounds on a thread of its own: straight on while there is work, otherwise waiting
 * for a commit to wake it or for the poll interval (rows committed by other instances) to pass.
 */
@Component
class RelayWorker implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(RelayWorker.class);
    private static final long STOP_WAIT_MS_MAX = 10_000;

    private final OutboxRelay relay;
    private final RelaySignal signal;
    private final RelayProperties properties;
    private volatile Thread thread;
    private volatile boolean running;

    RelayWorker(OutboxRelay relay, RelaySignal signal, RelayProperties properties) {
        this.relay = relay;
        this.signal = signal;
        this.properties = properties;
    }

    @Override
    public void start() {
        if (!properties.enabled() || running) {
            return;
        }
        running = true;
        thread = new Thread(this::loop, "outbox-relay");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        long pollMillis = properties.pollInterval().toMillis();
        long lingerNanos = properties.linger().toNanos();
        while (running) {
            try {
                int handled = relay.relayOnce();
                if (handled == 0) {
                    signal.await(pollMillis);
                } else if (handled < properties.batchSize() && lingerNanos > 0) {
                    LockSupport.parkNanos(lingerNanos);
                }
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException failure) {
                log.warn("Relay round failed; retrying after {} ms: {}", pollMillis, failure.getMessage());
                try {
                    Thread.sleep(pollMillis);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public void stop() {
        running = false;
        Thread current = thread;
        if (current != null) {
            current.interrupt();
            try {
                current.join(STOP_WAIT_MS_MAX);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}

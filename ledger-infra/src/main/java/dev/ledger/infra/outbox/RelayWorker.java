package dev.ledger.infra.outbox;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Runs relay rounds on a thread of its own: straight on while a round finds a full batch, after a
 * wait that lets rows gather ({@link Linger}; a reader waiting for the read models ends it) while it
 * finds fewer, and, when it finds none, once a commit wakes it or the poll interval (rows committed
 * by other instances) has passed.
 */
@Component
class RelayWorker implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(RelayWorker.class);
    private static final long STOP_WAIT_MS_MAX = 10_000;

    private final OutboxRelay relay;
    private final RelaySignal signal;
    private final RelayProperties properties;
    private final Linger linger;
    private volatile Thread thread;
    private volatile boolean running;

    RelayWorker(OutboxRelay relay, RelaySignal signal, RelayProperties properties, MeterRegistry registry) {
        this.relay = relay;
        this.signal = signal;
        this.properties = properties;
        this.linger = new Linger(properties.linger(), properties.lagTarget());
        Gauge.builder("ledger.relay.linger", linger, wait -> wait.nanos() / 1e9)
                .description("How long the relay now lets rows gather after a round that found fewer than a batch")
                .baseUnit("seconds")
                .register(registry);
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
        while (running) {
            try {
                OutboxRelay.Round round = relay.relayRound();
                if (round.rows() == 0) {
                    signal.await(pollMillis);
                    continue;
                }
                linger.afterRound(round.oldestLag());
                long wait = linger.nanos();
                if (round.rows() < properties.batchSize() && wait > 0) {
                    signal.linger(wait);
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

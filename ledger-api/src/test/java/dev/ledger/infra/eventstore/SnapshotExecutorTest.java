package dev.ledger.infra.eventstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The snapshot thread's queue is bounded: a snapshot that finds it full, or the thread stopping, is
 * dropped, never run on the asking thread (a writer), and counted, so that the scheduled counter is
 * not taken for snapshots taken.
 */
class SnapshotExecutorTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ThreadPoolExecutor executor = EventStoreConfiguration.snapshotExecutor(2, registry);
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stop() throws InterruptedException {
        release.countDown();
        executor.shutdownNow();
        assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aSnapshotThatFindsTheQueueFullIsDroppedAndCounted() throws InterruptedException {
        List<String> ran = new CopyOnWriteArrayList<>();
        CountDownLatch started = new CountDownLatch(1);
        executor.execute(() -> {
            started.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException stopping) {
                Thread.currentThread().interrupt();
            }
            ran.add("running " + Thread.currentThread().getName());
        });
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        executor.execute(() -> ran.add("queued 1"));
        executor.execute(() -> ran.add("queued 2"));
        assertThat(dropped()).isZero();

        executor.execute(() -> ran.add("dropped " + Thread.currentThread().getName()));

        assertThat(dropped()).isEqualTo(1);
        assertThat(ran).isEmpty();
        release.countDown();
        executor.shutdown();
        assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        assertThat(ran).containsExactly("running ledger-snapshots", "queued 1", "queued 2");
    }

    @Test
    void aSnapshotAskedForWhileTheThreadStopsIsDroppedAndCounted() throws InterruptedException {
        executor.shutdown();
        assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        List<String> ran = new CopyOnWriteArrayList<>();

        executor.execute(() -> ran.add("after shutdown"));

        assertThat(dropped()).isEqualTo(1);
        assertThat(ran).isEmpty();
    }

    private double dropped() {
        return registry.get("ledger.snapshots.dropped").counter().count();
    }
}

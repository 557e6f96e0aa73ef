package dev.ledger.infra.command;

import dev.ledger.infra.inbox.InboxRequest;
import dev.ledger.infra.inbox.InboxResult;
import dev.ledger.infra.inbox.StoredResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit: a fixed set of writer threads, each with a bounded queue, each committing the
 * writes that queued while its previous transaction ran together in one transaction. An account
 * always goes to the same writer (by its lock stripe), so its writes keep their arrival order and
 * a hot account's writes share transactions instead of waiting for each other's commits.
 */
final class CommitWriters {

    private static final Logger log = LoggerFactory.getLogger(CommitWriters.class);
    private static final Duration IDLE_POLL = Duration.ofMillis(500);

    private final List<BlockingQueue<PendingWrite>> queues = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final int batchSizeMax;
    private final Consumer<List<PendingWrite>> commit;
    private volatile boolean running = true;

    CommitWriters(int writers, int queueLengthMax, int batchSizeMax, Consumer<List<PendingWrite>> commit) {
        this.batchSizeMax = batchSizeMax;
        this.commit = commit;
        for (int i = 0; i < writers; i++) {
            BlockingQueue<PendingWrite> queue = new ArrayBlockingQueue<>(queueLengthMax);
            queues.add(queue);
            Thread thread = new Thread(() -> drain(queue), "ledger-writer-" + i);
            thread.setDaemon(true);
            threads.add(thread);
        }
        threads.forEach(Thread::start);
    }

    /** Queues a write for its account's writer; empty when that writer's queue is full. */
    boolean offer(PendingWrite write) {
        if (!running) {
            return false;
        }
        int stripe = AccountLocks.stripeOf(write.request().accountIds().get(0));
        return queues.get(stripe % queues.size()).offer(write);
    }

    /** Writes waiting for a writer now. */
    int queued() {
        return queues.stream().mapToInt(BlockingQueue::size).sum();
    }

    void stop() {
        running = false;
        threads.forEach(Thread::interrupt);
        for (BlockingQueue<PendingWrite> queue : queues) {
            List<PendingWrite> left = new ArrayList<>();
            queue.drainTo(left);
            left.forEach(write -> write.result().completeExceptionally(new AccountBusyException(Duration.ZERO)));
        }
    }

    private void drain(BlockingQueue<PendingWrite> queue) {
        List<PendingWrite> batch = new ArrayList<>(batchSizeMax);
        while (running) {
            try {
                PendingWrite first = queue.poll(IDLE_POLL.toMillis(), TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, batchSizeMax - 1);
                commit.accept(batch);
            } catch (InterruptedException stopping) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException | Error unexpected) {
                log.error("A writer failed a batch of {} writes", batch.size(), unexpected);
            } finally {
                for (PendingWrite write : batch) {
                    // Whatever the batch did not answer (only after a bug) is answered as busy.
                    write.result().completeExceptionally(new AccountBusyException(Duration.ZERO));
                }
                batch.clear();
            }
        }
    }

    /** A write waiting for its writer, where its answer goes, and when it was queued ({@link System#nanoTime}). */
    record PendingWrite(InboxRequest request, String requestId, Function<String, StoredResponse> action,
                        CompletableFuture<InboxResult> result, long queuedAtNanos) {
    }
}

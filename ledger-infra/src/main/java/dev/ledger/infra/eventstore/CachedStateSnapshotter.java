package dev.ledger.infra.eventstore;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventsourcing.EventSourcedAggregate;
import org.axonframework.eventsourcing.Snapshotter;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.axonframework.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Takes an account's snapshot from the state the writer already holds, instead of reading the
 * account's last {@code snapshot-every} events back from the store and replaying them.
 *
 * <p>Axon asks for a snapshot when a command's unit of work commits, but that unit of work only
 * joins the database transaction (a group commit's, which may run more commands after it). So the
 * state is taken once that transaction has committed, on the thread that committed it, which still
 * holds the accounts' in-process locks: the cached aggregate ({@link AggregateCache#liveAggregate})
 * is then exactly the committed state, at its version, and nothing else may change it. Its copy is
 * stored by the snapshot thread, in a transaction of its own. A transaction that rolls back takes
 * no snapshot (a later event asks again).
 *
 * <p>Where the state is not at hand (no transaction, the account not cached, or the thread not
 * holding its lock) the snapshot is left to {@code replaying}, Axon's snapshotter, which reads the
 * committed events from the store as before.
 */
public final class CachedStateSnapshotter implements Snapshotter {

    private static final Logger log = LoggerFactory.getLogger(CachedStateSnapshotter.class);

    private final AggregateCache cache;
    private final Snapshotter replaying;
    private final Supplier<EventStore> eventStore;
    private final TransactionManager transactions;
    private final Serializer serializer;
    private final Executor executor;
    private final Counter fromCache;
    private final Counter fromStore;

    /**
     * @param replaying  takes the snapshots whose state is not at hand; it must hand them over at
     *                   once (it is asked after the commit, or outside any transaction)
     * @param serializer copies the account's state, so that the snapshot thread never reads the
     *                   live aggregate the writer goes on changing
     * @param executor   the snapshot thread
     */
    public CachedStateSnapshotter(AggregateCache cache, Snapshotter replaying, Supplier<EventStore> eventStore,
                                  TransactionManager transactions, Serializer serializer, Executor executor,
                                  MeterRegistry registry) {
        this.cache = Objects.requireNonNull(cache);
        this.replaying = Objects.requireNonNull(replaying);
        this.eventStore = Objects.requireNonNull(eventStore);
        this.transactions = Objects.requireNonNull(transactions);
        this.serializer = Objects.requireNonNull(serializer);
        this.executor = Objects.requireNonNull(executor);
        this.fromCache = counter(registry, "cached-state");
        this.fromStore = counter(registry, "replay");
    }

    private static Counter counter(MeterRegistry registry, String source) {
        return Counter.builder("ledger.snapshots.scheduled")
                .description("Snapshots handed to the snapshot thread's queue, by where their state came from"
                        + " (ledger_snapshots_dropped_total: those the queue dropped)")
                .tag("source", source)
                .register(registry);
    }

    @Override
    public void scheduleSnapshot(Class<?> aggregateType, String aggregateIdentifier) {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            replay(aggregateType, aggregateIdentifier);
            return;
        }
        Pending pending = (Pending) TransactionSynchronizationManager.getResource(this);
        if (pending == null) {
            pending = new Pending();
            TransactionSynchronizationManager.bindResource(this, pending);
            TransactionSynchronizationManager.registerSynchronization(pending);
        }
        pending.aggregates.putIfAbsent(aggregateIdentifier, aggregateType);
    }

    private void replay(Class<?> aggregateType, String aggregateIdentifier) {
        fromStore.increment();
        replaying.scheduleSnapshot(aggregateType, aggregateIdentifier);
    }

    /**
     * The committed state of the account as a snapshot, or null when this thread does not hold it.
     * Called after the commit, on the committing thread.
     */
    DomainEventMessage<?> committedState(String accountId) {
        EventSourcedAggregate<?> aggregate = cache.liveAggregate(accountId);
        if (aggregate == null || aggregate.isDeleted() || aggregate.version() == null) {
            return null;
        }
        Object root = aggregate.getAggregateRoot();
        Object copy = serializer.deserialize(serializer.serialize(root, byte[].class));
        return new GenericDomainEventMessage<>(aggregate.type(), accountId, aggregate.version(), copy);
    }

    private void store(DomainEventMessage<?> snapshot) {
        try {
            transactions.executeInTransaction(() -> eventStore.get().storeSnapshot(snapshot));
        } catch (RuntimeException failed) {
            // A snapshot only saves reading; a later event asks for the next one.
            log.warn("the snapshot of account {} at sequence {} was not stored: {}",
                    snapshot.getAggregateIdentifier(), snapshot.getSequenceNumber(), failed.toString());
        }
    }

    /**
     * The accounts of one transaction that asked for a snapshot, each taken once, after its commit.
     * Bound to the transaction like Spring's own resources: a transaction suspended for another
     * keeps its accounts to itself.
     */
    private final class Pending implements TransactionSynchronization {

        private final Map<String, Class<?>> aggregates = new LinkedHashMap<>();

        /**
         * Runs inside the committing thread's commit call, after the commit: nothing here may throw,
         * or the caller would take a committed transaction for a failed one.
         */
        @Override
        public void afterCommit() {
            aggregates.forEach((accountId, aggregateType) -> {
                DomainEventMessage<?> snapshot;
                try {
                    snapshot = committedState(accountId);
                } catch (RuntimeException notCopied) {
                    log.warn("the state of account {} could not be copied for its snapshot; replaying it instead: {}",
                            accountId, notCopied.toString());
                    snapshot = null;
                }
                if (snapshot == null) {
                    replay(aggregateType, accountId);
                } else {
                    fromCache.increment();
                    DomainEventMessage<?> taken = snapshot;
                    executor.execute(() -> store(taken));
                }
            });
        }

        @Override
        public void suspend() {
            TransactionSynchronizationManager.unbindResourceIfPossible(CachedStateSnapshotter.this);
        }

        @Override
        public void resume() {
            TransactionSynchronizationManager.bindResource(CachedStateSnapshotter.this, this);
        }

        @Override
        public void afterCompletion(int status) {
            TransactionSynchronizationManager.unbindResourceIfPossible(CachedStateSnapshotter.this);
        }
    }
}

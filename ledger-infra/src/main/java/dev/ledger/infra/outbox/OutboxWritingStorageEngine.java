package dev.ledger.infra.outbox;

import dev.ledger.domain.account.AccountEvent;
import dev.ledger.infra.account.LedgerEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventsourcing.eventstore.DomainEventStream;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Axon's event storage with a transactional outbox: every account event appended to the store is
 * also written to {@code outbox_event}, in the same transaction (both go in with the transaction's
 * other buffered rows, in the round trip just before it commits). An
 * event therefore reaches the outbox exactly when it reaches the store, whichever command
 * appended it, and never otherwise.
 */
final class OutboxWritingStorageEngine implements EventStorageEngine {

    private final EventStorageEngine delegate;
    private final OutboxStore outbox;

    OutboxWritingStorageEngine(EventStorageEngine delegate, OutboxStore outbox) {
        this.delegate = delegate;
        this.outbox = outbox;
    }

    @Override
    public void appendEvents(List<? extends EventMessage<?>> events) {
        if (!TransactionSynchronizationManager.isActualTransactionActive()) {
            throw new IllegalStateException("events may only be appended inside a transaction, with their outbox rows");
        }
        delegate.appendEvents(events);
        List<LedgerEntry> entries = new ArrayList<>(events.size());
        for (EventMessage<?> event : events) {
            if (!(event.getPayload() instanceof AccountEvent accountEvent)) {
                throw new IllegalStateException("no outbox mapping for " + event.getPayloadType().getSimpleName());
            }
            if (event instanceof DomainEventMessage<?> domain && domain.getSequenceNumber() + 1 != accountEvent.version()) {
                throw new IllegalStateException("event version " + accountEvent.version()
                        + " does not follow sequence " + domain.getSequenceNumber());
            }
            entries.add(LedgerEntry.of(accountEvent));
        }
        outbox.append(entries);
    }

    @Override
    public void storeSnapshot(DomainEventMessage<?> snapshot) {
        delegate.storeSnapshot(snapshot);
    }

    @Override
    public Stream<? extends TrackedEventMessage<?>> readEvents(TrackingToken trackingToken, boolean mayBlock) {
        return delegate.readEvents(trackingToken, mayBlock);
    }

    @Override
    public DomainEventStream readEvents(String aggregateIdentifier) {
        return delegate.readEvents(aggregateIdentifier);
    }

    @Override
    public DomainEventStream readEvents(String aggregateIdentifier, long firstSequenceNumber) {
        return delegate.readEvents(aggregateIdentifier, firstSequenceNumber);
    }

    @Override
    public Optional<DomainEventMessage<?>> readSnapshot(String aggregateIdentifier) {
        return delegate.readSnapshot(aggregateIdentifier);
    }

    @Override
    public Optional<Long> lastSequenceNumberFor(String aggregateIdentifier) {
        return delegate.lastSequenceNumberFor(aggregateIdentifier);
    }

    @Override
    public TrackingToken createTailToken() {
        return delegate.createTailToken();
    }

    @Override
    public TrackingToken createHeadToken() {
        return delegate.createHeadToken();
    }

    @Override
    public TrackingToken createTokenAt(Instant dateTime) {
        return delegate.createTokenAt(dateTime);
    }
}

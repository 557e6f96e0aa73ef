package dev.ledger.infra.eventstore;

import dev.ledger.infra.Pipeline;
import dev.ledger.infra.TransactionBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.axonframework.common.DateTimeUtils;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventsourcing.eventstore.DomainEventStream;
import org.axonframework.eventsourcing.eventstore.jdbc.JdbcEventStorageEngine;
import org.axonframework.serialization.SerializedObject;
import org.axonframework.serialization.Serializer;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Axon's JDBC event storage, with the events of a whole transaction inserted in one statement just
 * before it commits, together with the transaction's other buffered rows ({@link TransactionBuffer}),
 * instead of one round trip per command when the command's unit of work commits. A group commit
 * of n writes thus makes two round trips (start; rows and commit), or one when its start is checked
 * at commit (IdempotentExecutor), not n + 3.
 *
 * <p>The rows are exactly those Axon's own insert writes (the same columns, serializer and time
 * format); nothing is visible to other transactions before the commit either way. Inside the
 * transaction, reads of an account's events and of its last sequence number see the buffered
 * events after the stored ones, as they would see rows already inserted: a later command of the
 * same group that loads the account from the store (a cache miss) starts from its latest version.
 * A second event for an account version still fails on the unique (account, version) index, now
 * when the transaction commits, and so fails the whole transaction (PostgreSQL's unique
 * violation, which the executor retries like Axon's concurrency failure).
 *
 * <p>Events are only appended inside a Spring transaction (the buffer refuses them otherwise, as
 * the outbox in front of this engine does): there is no commit to insert them at without one.
 * Reading an account's events from sequence 0 ({@code readEvents(String)}) goes through
 * {@link #readEvents(String, long)}, the interface's default.
 */
public final class CommitTimeEventStorageEngine extends JdbcEventStorageEngine {

    /** Axon's insert of events, in its column order ({@code EventSchema#domainEventFields}), one array each. */
    public static final String INSERT_SQL = "insert into " + EventStoreConfiguration.SCHEMA.domainEventTable()
            + " (" + EventStoreConfiguration.SCHEMA.domainEventFields() + ")"
            + " select "
            + Pipeline.unnested("text", "text", "bigint", "text", "text", "text", "text", "bytea", "bytea");

    private final JdbcTemplate jdbc;

    CommitTimeEventStorageEngine(Builder builder, JdbcTemplate jdbc) {
        super(builder);
        this.jdbc = jdbc;
    }

    @Override
    protected void appendEvents(List<? extends EventMessage<?>> events, Serializer serializer) {
        if (events.isEmpty()) {
            return;
        }
        List<Row> rows = new ArrayList<>(events.size());
        for (EventMessage<?> message : events) {
            if (!(message instanceof DomainEventMessage<?> event)) {
                throw new IllegalStateException("only an aggregate's events are stored, not "
                        + message.getPayloadType().getSimpleName());
            }
            rows.add(new Row(event, event.serializePayload(serializer, byte[].class),
                    event.serializeMetaData(serializer, byte[].class)));
        }
        TransactionBuffer.<List<Row>>of(this, ArrayList::new, CommitTimeEventStorageEngine::insertAll, () -> { }, jdbc)
                .addAll(rows);
    }

    @Override
    public DomainEventStream readEvents(String aggregateIdentifier, long firstSequenceNumber) {
        DomainEventStream stored = super.readEvents(aggregateIdentifier, firstSequenceNumber);
        List<DomainEventMessage<?>> pending = pending(aggregateIdentifier, firstSequenceNumber);
        return pending.isEmpty() ? stored : DomainEventStream.concat(stored, DomainEventStream.of(pending));
    }

    @Override
    public Optional<Long> lastSequenceNumberFor(String aggregateIdentifier) {
        List<DomainEventMessage<?>> pending = pending(aggregateIdentifier, 0);
        if (!pending.isEmpty()) {
            return Optional.of(pending.get(pending.size() - 1).getSequenceNumber());
        }
        return super.lastSequenceNumberFor(aggregateIdentifier);
    }

    /** The current transaction's buffered events of one account from a sequence number on, in order. */
    private List<DomainEventMessage<?>> pending(String aggregateIdentifier, long firstSequenceNumber) {
        List<Row> rows = TransactionBuffer.existing(this);
        if (rows == null || rows.isEmpty()) {
            return List.of();
        }
        List<DomainEventMessage<?>> events = new ArrayList<>();
        for (Row row : rows) {
            DomainEventMessage<?> event = row.event();
            if (event.getAggregateIdentifier().equals(aggregateIdentifier)
                    && event.getSequenceNumber() >= firstSequenceNumber) {
                events.add(event);
            }
        }
        return events;
    }

    /** Adds the insert of the buffered events, one statement for all of them, and empties the buffer. */
    private static void insertAll(List<Row> rows, Pipeline pipeline) {
        if (rows.isEmpty()) {
            return;
        }
        byte[][] payloads = new byte[rows.size()][];
        byte[][] metaData = new byte[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            payloads[i] = rows.get(i).payload().getData();
            metaData[i] = rows.get(i).metaData().getData();
        }
        pipeline.write(INSERT_SQL, rows.size(),
                Pipeline.texts(rows, row -> row.event().getIdentifier()),
                Pipeline.texts(rows, row -> row.event().getAggregateIdentifier()),
                Pipeline.longs(rows, row -> row.event().getSequenceNumber()),
                Pipeline.texts(rows, row -> row.event().getType()),
                Pipeline.texts(rows, row -> DateTimeUtils.formatInstant(row.event().getTimestamp())),
                Pipeline.texts(rows, row -> row.payload().getType().getName()),
                Pipeline.texts(rows, row -> row.payload().getType().getRevision()),
                payloads, metaData);
        rows.clear();
    }

    /** An event waiting for its transaction's commit, serialized as Axon would insert it. */
    private record Row(DomainEventMessage<?> event, SerializedObject<byte[]> payload,
                       SerializedObject<byte[]> metaData) {
    }
}

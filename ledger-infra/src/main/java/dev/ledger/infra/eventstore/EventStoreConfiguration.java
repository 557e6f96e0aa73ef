package dev.ledger.infra.eventstore;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.ledger.domain.account.Account;
import dev.ledger.domain.account.AccountCommandTarget;
import dev.ledger.infra.command.AccountLocks;
import dev.ledger.infra.command.CommandProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.axonframework.common.jdbc.PersistenceExceptionResolver;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.jdbc.EventSchema;
import org.axonframework.eventsourcing.eventstore.jdbc.JdbcEventStorageEngine;
import org.axonframework.messaging.correlation.CorrelationDataProvider;
import org.axonframework.serialization.Serializer;
import org.axonframework.spring.jdbc.SpringDataSourceConnectionProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.axonframework.config.AggregateConfigurer;
import org.axonframework.config.ConfigurerModule;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.eventsourcing.AggregateSnapshotter;
import org.axonframework.eventsourcing.EventCountSnapshotTriggerDefinition;
import org.axonframework.eventsourcing.GenericAggregateFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Axon on PostgreSQL: events are stored by Axon's JDBC storage engine, all the events of one
 * transaction (a group commit's many commands) in one insert just before it commits, on the
 * transaction's own connection ({@link CommitTimeEventStorageEngine}; the JPA engine took a
 * sequence value and a persist and flush per event). The Account aggregate is registered here rather than with Spring's
 * {@code @Aggregate} stereotype, so that the domain module stays free of Spring. Loaded accounts
 * stay in an {@link AggregateCache}, and every {@code snapshot-every} events an account's state
 * is stored as a snapshot, by a thread of its own, from the state the writer holds
 * ({@link CachedStateSnapshotter}): loading an account replays about that many events at most,
 * however long its history.
 */
@Configuration(proxyBeanMethods = false)
public class EventStoreConfiguration {

    private static final int SNAPSHOT_QUEUE_MAX = 1024;

    /** Axon's JDBC schema with the tables' snake-case names (the tables Flyway creates). */
    static final EventSchema SCHEMA = EventSchema.builder()
            .eventTable("domain_event_entry")
            .snapshotTable("snapshot_event_entry")
            .globalIndexColumn("global_index")
            .timestampColumn("time_stamp")
            .eventIdentifierColumn("event_identifier")
            .aggregateIdentifierColumn("aggregate_identifier")
            .sequenceNumberColumn("sequence_number")
            .typeColumn("type")
            .payloadTypeColumn("payload_type")
            .payloadRevisionColumn("payload_revision")
            .payloadColumn("payload")
            .metaDataColumn("meta_data")
            .build();

    /**
     * The event store's engine. It joins the caller's transaction (Spring's, through the
     * transaction-bound connection), so events commit with the inbox answer and the outbox rows;
     * a second event for an account version is refused by the unique (account, version) index when
     * the transaction commits.
     */
    @Bean
    EventStorageEngine eventStorageEngine(Serializer defaultSerializer,
                                          @Qualifier("eventSerializer") Serializer eventSerializer,
                                          PersistenceExceptionResolver persistenceExceptionResolver,
                                          org.axonframework.config.Configuration axon,
                                          DataSource dataSource, TransactionManager transactionManager,
                                          JdbcTemplate jdbc) {
        return new CommitTimeEventStorageEngine(JdbcEventStorageEngine.builder()
                .snapshotSerializer(defaultSerializer)
                .eventSerializer(eventSerializer)
                .upcasterChain(axon.upcasterChain())
                .snapshotFilter(axon.snapshotFilter())
                .persistenceExceptionResolver(persistenceExceptionResolver)
                .connectionProvider(new SpringDataSourceConnectionProvider(dataSource))
                .transactionManager(transactionManager)
                .dataType(byte[].class)
                .schema(SCHEMA), jdbc);
    }

    /**
     * No correlation metadata on the events. Axon's starter would otherwise register its
     * {@code MessageOriginProvider} (only when no provider is defined), which copies the identifier of
     * the command message that caused an event into the event's metadata, twice ({@code traceId} and
     * {@code correlationId}): about 100 bytes of each stored event (a fifth of its row) and of its WAL
     * record, serialized by the writer for every event, naming a message that is stored nowhere
     * (commands are not kept). What caused an event is in its payload: its origin's request id, the
     * same in the inbox row that holds the request's answer and in every other event of the request.
     */
    @Bean
    CorrelationDataProvider noCorrelationMetaData() {
        return message -> Map.of();
    }

    @Bean
    AggregateCache aggregateCache(AccountLocks accountLocks, CommandProperties properties) {
        return new AggregateCache(accountLocks, properties.cachedAccountsMax());
    }

    /**
     * The thread that stores snapshots, off the write path: a command that crosses the threshold
     * only queues its account's snapshot (a full queue drops it; a later event asks again).
     */
    @Bean(destroyMethod = "shutdownNow")
    ExecutorService snapshotExecutor(MeterRegistry registry) {
        return snapshotExecutor(SNAPSHOT_QUEUE_MAX, registry);
    }

    /**
     * One snapshot thread with a queue of at most {@code queueMax} snapshots. A snapshot that finds
     * the queue full, or the thread stopping, is dropped (never run on the asking thread, which is
     * a writer) and counted in {@code ledger_snapshots_dropped_total}: the scheduled counter tells
     * how many were asked for, this one how many of those were never taken.
     */
    static ThreadPoolExecutor snapshotExecutor(int queueMax, MeterRegistry registry) {
        Counter dropped = Counter.builder("ledger.snapshots.dropped")
                .description("Snapshots dropped because the snapshot thread's queue was full or the thread was"
                        + " stopping; a later event of the account asks again")
                .register(registry);
        return new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queueMax),
                task -> {
                    Thread thread = new Thread(task, "ledger-snapshots");
                    thread.setDaemon(true);
                    return thread;
                }, (task, executor) -> dropped.increment());
    }

    @Bean
    ConfigurerModule accountAggregate(AggregateCache cache, CommandProperties properties,
                                      ExecutorService snapshotExecutor, MeterRegistry registry) {
        return configurer -> configurer.configureAggregate(
                AggregateConfigurer.defaultConfiguration(Account.class)
                        .configureCommandTargetResolver(c -> new AccountCommandTarget())
                        .configureCache(c -> cache)
                        .configureSnapshotTrigger(c -> new EventCountSnapshotTriggerDefinition(
                                new CachedStateSnapshotter(cache, replayingSnapshotter(c, snapshotExecutor),
                                        c::eventStore, c.getComponent(TransactionManager.class), c.serializer(),
                                        snapshotExecutor, registry),
                                properties.snapshotEvery())));
    }

    /**
     * Takes a snapshot by replaying the account's committed events from the store, in a transaction
     * of its own (a snapshot is valid for ever: it is the state at its sequence number): for the
     * accounts whose state {@link CachedStateSnapshotter} does not hold. Spring's default
     * snapshotter only knows aggregates that are Spring beans, which this one is not.
     */
    private static AggregateSnapshotter replayingSnapshotter(org.axonframework.config.Configuration axon,
                                                             Executor executor) {
        return AggregateSnapshotter.builder()
                .eventStore(axon.eventStore())
                .aggregateFactories(new GenericAggregateFactory<>(Account.class))
                .transactionManager(axon.getComponent(TransactionManager.class))
                .executor(executor)
                .build();
    }

    /**
     * The mapper Axon serializes events and snapshots with (Axon looks this bean up by name). It
     * is kept apart from the web's mapper, whose strictness is for untrusted input, not for stored
     * history. A snapshot is the account's fields, read and written directly: the domain class
     * has no accessors and carries no serialization annotations. Instants are read by
     * {@link IsoInstantDeserializer} (a module registered later takes precedence), written as before.
     */
    @Bean
    ObjectMapper defaultAxonObjectMapper() {
        return new ObjectMapper()
                .registerModule(new JavaTimeModule())
                .registerModule(new SimpleModule("iso-instants").addDeserializer(Instant.class,
                        new IsoInstantDeserializer()))
                .addMixIn(Account.class, FieldsOnly.class)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    @JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
            getterVisibility = JsonAutoDetect.Visibility.NONE,
            isGetterVisibility = JsonAutoDetect.Visibility.NONE,
            setterVisibility = JsonAutoDetect.Visibility.NONE,
            creatorVisibility = JsonAutoDetect.Visibility.NONE)
    private abstract static class FieldsOnly {
    }
}

package dev.ledger.infra.eventstore;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.ledger.domain.account.Account;
import dev.ledger.infra.command.AccountLocks;
import dev.ledger.infra.command.CommandProperties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.axonframework.config.AggregateConfigurer;
import org.axonframework.config.ConfigurerModule;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.eventsourcing.AggregateSnapshotter;
import org.axonframework.eventsourcing.EventCountSnapshotTriggerDefinition;
import org.axonframework.eventsourcing.GenericAggregateFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Axon on PostgreSQL: the Account aggregate is registered here rather than with Spring's
 * {@code @Aggregate} stereotype, so that the domain module stays free of Spring. Loaded accounts
 * stay in an {@link AggregateCache}, and every {@code snapshot-every} events an account's state
 * is stored as a snapshot, by a thread of its own: loading an account replays about that many
 * events at most, however long its history.
 */
@Configuration(proxyBeanMethods = false)
public class EventStoreConfiguration {

    private static final int SNAPSHOT_QUEUE_MAX = 1024;

    @Bean
    AggregateCache aggregateCache(AccountLocks accountLocks, CommandProperties properties) {
        return new AggregateCache(accountLocks, properties.cachedAccountsMax());
    }

    /**
     * The thread that takes snapshots, off the write path: a command that crosses the threshold
     * only queues its account (a full queue drops the request; a later event asks again).
     */
    @Bean(destroyMethod = "shutdownNow")
    ExecutorService snapshotExecutor() {
        return new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(SNAPSHOT_QUEUE_MAX),
                task -> {
                    Thread thread = new Thread(task, "ledger-snapshots");
                    thread.setDaemon(true);
                    return thread;
                }, new ThreadPoolExecutor.DiscardPolicy());
    }

    @Bean
    ConfigurerModule accountAggregate(AggregateCache cache, CommandProperties properties,
                                      ExecutorService snapshotExecutor) {
        return configurer -> configurer.configureAggregate(
                AggregateConfigurer.defaultConfiguration(Account.class)
                        .configureCache(c -> cache)
                        .configureSnapshotTrigger(c -> new EventCountSnapshotTriggerDefinition(
                                snapshotter(c, snapshotExecutor), properties.snapshotEvery())));
    }

    /**
     * Takes a snapshot in a transaction of its own, from committed events only (a snapshot is
     * valid for ever: it is the state at its sequence number). Spring's default snapshotter only
     * knows aggregates that are Spring beans, which this one is not.
     */
    private static AggregateSnapshotter snapshotter(org.axonframework.config.Configuration axon, Executor executor) {
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
     * has no accessors and carries no serialization annotations.
     */
    @Bean
    ObjectMapper defaultAxonObjectMapper() {
        return new ObjectMapper()
                .registerModule(new JavaTimeModule())
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

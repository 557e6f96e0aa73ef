package dev.ledger.infra.eventstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.domain.account.Account;
import dev.ledger.domain.account.AccountOpenedEvent;
import dev.ledger.domain.account.MoneyDepositedEvent;
import dev.ledger.domain.account.Origin;
import dev.ledger.infra.command.AccountLocks;
import dev.ledger.support.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.axonframework.common.transaction.NoTransactionManager;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventsourcing.AggregateCacheEntry;
import org.axonframework.eventsourcing.EventSourcedAggregate;
import org.axonframework.eventsourcing.GenericAggregateFactory;
import org.axonframework.eventsourcing.NoSnapshotTriggerDefinition;
import org.axonframework.eventsourcing.eventstore.DomainEventStream;
import org.axonframework.eventsourcing.eventstore.EmbeddedEventStore;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.axonframework.modelling.command.inspection.AnnotatedAggregateMetaModelFactory;
import org.axonframework.serialization.Serializer;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A snapshot asked for inside a database transaction is taken only once that transaction has
 * committed (Axon asks when the command's unit of work commits, which in a group commit is before
 * the database transaction does), from the cached account's state on the committing thread, which
 * holds the account's lock; where that state is not at hand, Axon's replaying snapshotter takes it.
 */
class SnapshotSchedulingTest {

    private static final String ACCOUNT = "snap-1";
    private static final Origin ORIGIN = new Origin(Instant.parse("2026-12-06T12:00:00Z"), "r-1", "client");

    private final ObjectMapper mapper = new EventStoreConfiguration().defaultAxonObjectMapper();
    private final AccountLocks locks = new AccountLocks(Duration.ofSeconds(1));
    private final AggregateCache cache = new AggregateCache(locks, 10);
    private final InMemoryEventStorageEngine storage = new InMemoryEventStorageEngine();
    private final EmbeddedEventStore eventStore = EmbeddedEventStore.builder().storageEngine(storage).build();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<String> replayed = new ArrayList<>();
    private final List<Runnable> handedOver = new ArrayList<>();
    private final CachedStateSnapshotter snapshotter = new CachedStateSnapshotter(cache,
            (type, id) -> replayed.add(id), () -> eventStore, NoTransactionManager.INSTANCE,
            JacksonSerializer.builder().objectMapper(mapper).build(), handedOver::add, registry);
    private Connection connection;
    private TransactionTemplate transactions;

    @BeforeEach
    void open() throws Exception {
        connection = TestDatabase.get().connect();
        transactions = new TransactionTemplate(
                new DataSourceTransactionManager(new SingleConnectionDataSource(connection, true)));
    }

    @AfterEach
    void close() throws Exception {
        eventStore.shutDown();
        connection.close();
    }

    @Test
    void inside_a_transaction_the_snapshot_is_the_cached_state_taken_after_the_commit() {
        EventSourcedAggregate<Account> account = cachedAccount(3);

        underLock(() -> transactions.executeWithoutResult(status -> {
            snapshotter.scheduleSnapshot(Account.class, ACCOUNT);
            assertThat(handedOver).as("handed over before the commit").isEmpty();
        }));

        assertThat(replayed).isEmpty();
        assertThat(handedOver).hasSize(1);
        assertThat(scheduled("cached-state")).isEqualTo(1);
        handedOver.get(0).run();
        DomainEventMessage<?> snapshot = storage.readSnapshot(ACCOUNT).orElseThrow();
        assertThat(snapshot.getSequenceNumber()).isEqualTo(3).isEqualTo(account.version());
        assertThat(snapshot.getType()).isEqualTo("Account");
        assertThat(snapshot.getPayload()).as("a copy, not the live account").isNotSameAs(account.getAggregateRoot());
        JsonNode state = mapper.valueToTree(snapshot.getPayload());
        assertThat(state.get("accountId").asText()).isEqualTo(ACCOUNT);
        assertThat(state.get("version").asLong()).isEqualTo(4);
        assertThat(state.get("balance").asLong()).isEqualTo(10 + 20 + 30);
        assertThat(state.get("currency").asText()).isEqualTo("EUR");
    }

    @Test
    void the_copy_does_not_follow_the_account_after_the_commit() {
        EventSourcedAggregate<Account> account = cachedAccount(1);
        askInALockedTransaction(snapshotter);

        account.initializeState(DomainEventStream.of(deposit(2, 20, 30)));
        handedOver.get(0).run();

        DomainEventMessage<?> snapshot = storage.readSnapshot(ACCOUNT).orElseThrow();
        assertThat(snapshot.getSequenceNumber()).isEqualTo(1);
        assertThat(mapper.valueToTree(snapshot.getPayload()).get("balance").asLong()).isEqualTo(10);
    }

    @Test
    void an_account_asked_for_twice_in_a_transaction_is_snapshotted_once() {
        cachedAccount(2);
        underLock(() -> transactions.executeWithoutResult(status -> {
            snapshotter.scheduleSnapshot(Account.class, ACCOUNT);
            snapshotter.scheduleSnapshot(Account.class, ACCOUNT);
        }));
        assertThat(handedOver).hasSize(1);
        assertThat(scheduled("cached-state")).isEqualTo(1);
    }

    @Test
    void a_rolled_back_transaction_takes_no_snapshot_and_the_next_one_starts_afresh() {
        cachedAccount(2);
        underLock(() -> transactions.executeWithoutResult(status -> {
            snapshotter.scheduleSnapshot(Account.class, ACCOUNT);
            status.setRollbackOnly();
        }));
        assertThat(handedOver).isEmpty();
        assertThat(replayed).isEmpty();

        askInALockedTransaction(snapshotter);
        assertThat(handedOver).hasSize(1);
    }

    @Test
    void without_the_account_lock_the_snapshot_is_replayed_after_the_commit() {
        cachedAccount(2);
        transactions.executeWithoutResult(status -> {
            snapshotter.scheduleSnapshot(Account.class, ACCOUNT);
            assertThat(replayed).as("asked before the commit").isEmpty();
        });
        assertThat(replayed).containsExactly(ACCOUNT);
        assertThat(handedOver).isEmpty();
        assertThat(scheduled("replay")).isEqualTo(1);
    }

    @Test
    void an_account_not_cached_is_replayed_after_the_commit() {
        askInALockedTransaction(snapshotter);
        assertThat(replayed).containsExactly(ACCOUNT);
        assertThat(handedOver).isEmpty();
    }

    @Test
    void a_state_that_cannot_be_copied_is_replayed_and_the_commit_still_succeeds() {
        Serializer failing = (Serializer) Proxy.newProxyInstance(Serializer.class.getClassLoader(),
                new Class<?>[] {Serializer.class}, (proxy, method, arguments) -> {
                    throw new IllegalStateException("cannot copy");
                });
        CachedStateSnapshotter withoutCopies = new CachedStateSnapshotter(cache, (type, id) -> replayed.add(id),
                () -> eventStore, NoTransactionManager.INSTANCE, failing, handedOver::add, registry);
        cachedAccount(2);

        askInALockedTransaction(withoutCopies);

        assertThat(replayed).containsExactly(ACCOUNT);
        assertThat(handedOver).isEmpty();
    }

    @Test
    void a_transaction_run_inside_another_takes_its_own_snapshot_at_its_own_commit() {
        cachedAccount(2);
        TestDatabase database = TestDatabase.get();
        DataSourceTransactionManager manager = new DataSourceTransactionManager(
                new DriverManagerDataSource(database.url(), database.user(), database.password()));
        TransactionTemplate outer = new TransactionTemplate(manager);
        TransactionTemplate inner = new TransactionTemplate(manager);
        inner.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);

        underLock(() -> outer.executeWithoutResult(status -> {
            snapshotter.scheduleSnapshot(Account.class, ACCOUNT);
            inner.executeWithoutResult(nested -> snapshotter.scheduleSnapshot(Account.class, ACCOUNT));
            assertThat(handedOver).as("taken when the inner transaction committed").hasSize(1);
            status.setRollbackOnly();
        }));

        assertThat(handedOver).as("none from the outer one, which rolled back").hasSize(1);
        assertThat(replayed).isEmpty();
    }

    @Test
    void outside_a_transaction_the_snapshot_is_replayed_at_once() {
        cachedAccount(2);
        underLock(() -> snapshotter.scheduleSnapshot(Account.class, ACCOUNT));
        assertThat(replayed).containsExactly(ACCOUNT);
        assertThat(handedOver).isEmpty();
    }

    /** Opens the account and deposits 10, 20, 30... until its last sequence number is {@code lastSequence}. */
    private EventSourcedAggregate<Account> cachedAccount(int lastSequence) {
        List<DomainEventMessage<?>> events = new ArrayList<>();
        events.add(new GenericDomainEventMessage<>("Account", ACCOUNT, 0,
                new AccountOpenedEvent(ACCOUNT, "EUR", 0, 1, 0, ORIGIN)));
        long balance = 0;
        for (int sequence = 1; sequence <= lastSequence; sequence++) {
            balance += 10L * sequence;
            events.add(deposit(sequence, 10L * sequence, balance));
        }
        Account root = new GenericAggregateFactory<>(Account.class).createAggregateRoot(ACCOUNT, events.get(0));
        EventSourcedAggregate<Account> aggregate = EventSourcedAggregate.initialize(root,
                AnnotatedAggregateMetaModelFactory.inspectAggregate(Account.class), null,
                NoSnapshotTriggerDefinition.TRIGGER);
        aggregate.initializeState(DomainEventStream.of(events));
        underLock(() -> cache.put(ACCOUNT, new AggregateCacheEntry<>(aggregate)));
        return aggregate;
    }

    private static DomainEventMessage<?> deposit(long sequence, long amount, long balanceAfter) {
        return new GenericDomainEventMessage<>("Account", ACCOUNT, sequence, new MoneyDepositedEvent(ACCOUNT,
                "e-" + sequence, amount, "EUR", null, sequence + 1, balanceAfter, ORIGIN));
    }

    /** Asks for the account's snapshot in a transaction that commits, holding the account's lock. */
    private void askInALockedTransaction(CachedStateSnapshotter asked) {
        underLock(() -> transactions.executeWithoutResult(status -> asked.scheduleSnapshot(Account.class, ACCOUNT)));
    }

    private void underLock(Runnable work) {
        locks.withLocks(List.of(ACCOUNT), () -> {
            work.run();
            return null;
        });
    }

    private double scheduled(String source) {
        return registry.get("ledger.snapshots.scheduled").tag("source", source).counter().count();
    }
}

package dev.ledger.infra.eventstore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.domain.account.DepositMoneyCommand;
import dev.ledger.domain.account.MoneyDepositedEvent;
import dev.ledger.domain.account.OpenAccountCommand;
import dev.ledger.domain.account.Origin;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Proves that a transaction's events are inserted when it commits ({@link CommitTimeEventStorageEngine}),
 * and that until then its own reads of the event store see them after the stored ones: a command
 * that loads its account from the store (here every command: they are sent without the account's
 * lock, so the cache never serves them) starts from the transaction's latest version, and opening
 * an account reads its first event back before it is inserted.
 */
class CommitTimeEventsTest extends IntegrationTest {

    @Autowired
    private CommandGateway commands;

    @Autowired
    private EventStore eventStore;

    @Autowired
    private PlatformTransactionManager transactionManager;

    @Autowired
    private DataSource dataSource;

    @Test
    void a_transactions_events_are_inserted_at_its_commit_and_its_own_reads_see_them_before() {
        String account = unique("commit-time");
        Inside inside = new TransactionTemplate(transactionManager).execute(status -> {
            commands.sendAndWait(new OpenAccountCommand(account, "EUR", 0, origin("open")));
            MoneyDepositedEvent first = commands.sendAndWait(new DepositMoneyCommand(account, "entry-1", 10, "EUR",
                    null, null, origin("deposit-1")));
            MoneyDepositedEvent second = commands.sendAndWait(new DepositMoneyCommand(account, "entry-2", 5, "EUR",
                    null, null, origin("deposit-2")));
            return new Inside(first, second, eventStore.lastSequenceNumberFor(account),
                    sequences(eventStore.readEvents(account).asStream().toList()),
                    sequences(eventStore.readEvents(account, 1).asStream().toList()),
                    new JdbcTemplate(dataSource).queryForObject(
                            "select count(*) from domain_event_entry where aggregate_identifier = ?",
                            Long.class, account),
                    storedSequences(account));
        });

        assertThat(inside.first().version()).isEqualTo(2);
        assertThat(inside.second().version()).isEqualTo(3);
        assertThat(inside.second().balanceAfter()).isEqualTo(15);
        assertThat(inside.lastSequence()).as("last sequence number read inside the transaction").contains(2L);
        assertThat(inside.all()).as("the account's events read inside the transaction").containsExactly(0L, 1L, 2L);
        assertThat(inside.fromOne()).as("read from sequence number 1 on").containsExactly(1L, 2L);
        assertThat(inside.rowsInTransaction()).as("rows the transaction itself saw before its commit").isZero();
        assertThat(inside.rowsOutside()).as("rows another connection saw before the commit").isEmpty();

        assertThat(storedSequences(account)).as("rows after the commit").containsExactly(0L, 1L, 2L);
        assertThat(eventStore.lastSequenceNumberFor(account)).contains(2L);
    }

    @Test
    void a_transaction_that_rolls_back_inserts_none_of_its_events() {
        String account = unique("rolled-back");
        new TransactionTemplate(transactionManager).executeWithoutResult(status -> {
            commands.sendAndWait(new OpenAccountCommand(account, "EUR", 0, origin("open")));
            commands.sendAndWait(new DepositMoneyCommand(account, "entry-1", 10, "EUR", null, null,
                    origin("deposit-1")));
            status.setRollbackOnly();
        });

        assertThat(storedSequences(account)).isEmpty();
        assertThat(eventStore.lastSequenceNumberFor(account)).isEmpty();
    }

    /** What a transaction saw of its own events before it committed. */
    private record Inside(MoneyDepositedEvent first, MoneyDepositedEvent second, Optional<Long> lastSequence,
                          List<Long> all, List<Long> fromOne, long rowsInTransaction, List<Long> rowsOutside) {
    }

    private static List<Long> sequences(List<? extends DomainEventMessage<?>> events) {
        return events.stream().map(DomainEventMessage::getSequenceNumber).toList();
    }

    /** The account's stored sequence numbers, read over a connection of the test's own. */
    private static List<Long> storedSequences(String account) {
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = connection.prepareStatement(
                     "select sequence_number from domain_event_entry where aggregate_identifier = ?"
                             + " order by sequence_number")) {
            query.setString(1, account);
            List<Long> sequences = new ArrayList<>();
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    sequences.add(rows.getLong(1));
                }
            }
            return sequences;
        } catch (SQLException failure) {
            throw new IllegalStateException(failure);
        }
    }

    private static Origin origin(String requestId) {
        return new Origin(Instant.now(), requestId, "commit-time-test");
    }
}

package dev.ledger.api.account;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.infra.command.CommandProperties;
import dev.ledger.infra.eventstore.AggregateCache;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.Poll;
import dev.ledger.support.TestDatabase;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Proves that a long history is stored as snapshots as it grows, taken from the cached account
 * rather than replayed from the store, that a snapshot holds the account's state at its sequence
 * number, and that an account loaded from its snapshot (nothing cached) carries on at the right
 * version and balance.
 */
class SnapshotTest extends IntegrationTest {

    @Autowired
    private CommandProperties properties;

    @Autowired
    private AggregateCache cache;

    @Autowired
    private MeterRegistry registry;

    @Test
    void an_account_with_a_long_history_is_snapshotted_and_carries_on_from_its_snapshot() throws Exception {
        String account = unique("snapshot");
        assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);
        double fromCachedStateBefore = scheduled("cached-state");
        double replayedBefore = scheduled("replay");
        int deposits = properties.snapshotEvery() + 20;
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<Reply>> replies = new ArrayList<>();
            for (int i = 1; i <= deposits; i++) {
                long amount = i;
                replies.add(clients.submit(() -> ledger.deposit(account, amount, "EUR")));
            }
            for (Future<Reply> reply : replies) {
                assertThat(reply.get(60, SECONDS).status()).isEqualTo(201);
            }
        } finally {
            clients.shutdownNow();
        }
        long version = 1 + deposits;
        long balance = (long) deposits * (deposits + 1) / 2;

        // Snapshots are taken by a thread of their own, after the triggering write.
        Poll.until("a snapshot of " + account, () -> snapshotCount(account), count -> count > 0);
        Snapshot snapshot = latestSnapshot(account);
        assertThat(snapshot.sequenceNumber()).as("a snapshot taken on the way")
                .isBetween((long) properties.snapshotEvery() - 1, version - 1);
        assertThat(snapshot.state().get("version").asLong()).isEqualTo(snapshot.sequenceNumber() + 1);
        assertThat(snapshot.state().get("balance").asLong()).as("the balance after the snapshot's event")
                .isEqualTo(balanceAfter(account, snapshot.sequenceNumber()));
        assertThat(snapshot.state().get("currency").asText()).isEqualTo("EUR");
        assertThat(scheduled("cached-state")).as("taken from the cached account").isGreaterThan(fromCachedStateBefore);
        assertThat(scheduled("replay")).as("none replayed from the store").isEqualTo(replayedBefore);

        cache.removeAll();
        Reply next = ledger.deposit(account, 5, "EUR");

        assertThat(next.status()).as(next.body()).isEqualTo(201);
        assertThat(next.json().get("version").asLong()).isEqualTo(version + 1);
        assertThat(next.json().get("balance").asLong()).isEqualTo(balance + 5);
    }

    private double scheduled(String source) {
        return registry.get("ledger.snapshots.scheduled").tag("source", source).counter().count();
    }

    private record Snapshot(long sequenceNumber, JsonNode state) {
    }

    private static Snapshot latestSnapshot(String account) throws Exception {
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = connection.prepareStatement("select sequence_number, payload"
                     + " from snapshot_event_entry where aggregate_identifier = ?"
                     + " order by sequence_number desc limit 1")) {
            query.setString(1, account);
            try (ResultSet row = query.executeQuery()) {
                assertThat(row.next()).as("a snapshot of %s", account).isTrue();
                return new Snapshot(row.getLong(1),
                        new ObjectMapper().readTree(new String(row.getBytes(2), StandardCharsets.UTF_8)));
            }
        }
    }

    private static long snapshotCount(String account) {
        return TestDatabase.get().queryLong("select count(*) from snapshot_event_entry where aggregate_identifier = ?",
                account);
    }

    private static long balanceAfter(String account, long sequenceNumber) throws Exception {
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = connection.prepareStatement("select payload from domain_event_entry"
                     + " where aggregate_identifier = ? and sequence_number = ?")) {
            query.setString(1, account);
            query.setLong(2, sequenceNumber);
            try (ResultSet row = query.executeQuery()) {
                assertThat(row.next()).isTrue();
                return new ObjectMapper().readTree(new String(row.getBytes(1), StandardCharsets.UTF_8))
                        .get("balanceAfter").asLong();
            }
        }
    }
}

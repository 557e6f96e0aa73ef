package dev.ledger.infra.outbox;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.api.account.ReadProperties;
import dev.ledger.domain.account.DepositMoneyCommand;
import dev.ledger.domain.account.OpenAccountCommand;
import dev.ledger.domain.account.Origin;
import dev.ledger.infra.TransactionBuffer;
import dev.ledger.infra.command.CommandProperties;
import dev.ledger.infra.outbox.Tables.FeedRow;
import dev.ledger.infra.projection.ProjectionMetrics;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.Projections;
import dev.ledger.support.RelayPause;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Proves that an outbox row whose transaction took an earlier id and commits after later rows,
 * held open longer than any timeout the design has, is still relayed, in version order for its
 * account, with no row of any account skipped.
 */
class OutOfOrderCommitTest extends IntegrationTest {

    /** At least this long, and longer than every timeout of the service (checked below). */
    private static final Duration HOLD_MIN = Duration.ofSeconds(6);

    /** The longest any single wait may last before the test fails instead of hanging. */
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** How long one later write may take to show up in the feed while the early one is held. */
    private static final Duration FEED_WAIT = Duration.ofSeconds(10);

    @Autowired
    private CommandGateway commandGateway;

    @Autowired
    private PlatformTransactionManager transactionManager;

    @Autowired
    private DataSource dataSource;

    @Autowired
    private CommandProperties commands;

    @Autowired
    private RelayProperties relay;

    @Autowired
    private ReadProperties reads;

    @Autowired
    private ProjectionMetrics metrics;

    @Value("${spring.datasource.hikari.connection-timeout}")
    private long connectionTimeoutMs;

    @Test
    void a_transaction_holding_earlier_outbox_ids_that_commits_after_later_ones_is_still_relayed_in_order()
            throws Exception {
        Duration hold = holdLongerThanEveryTimeout();
        String heldAccount = unique("held");
        double gapsBefore = metrics.gapsHeld();

        try (Tables tables = Tables.open(); HeldTransaction held = new HeldTransaction(heldAccount)) {
            List<Long> heldIds = held.writeUncommitted();
            assertThat(heldIds).as("outbox ids taken by the held transaction").hasSize(3);
            assertThat(tables.number("select count(*) from outbox_event where account_id = ?", heldAccount))
                    .as("held rows visible outside their transaction").isZero();
            long heldMaxId = Collections.max(heldIds);

            // While it is held, later transactions commit with higher ids and are delivered.
            List<String> later = new ArrayList<>();
            long laterMinId = Long.MAX_VALUE;
            while (held.heldFor().compareTo(hold) < 0 || later.size() < 3) {
                String account = unique("later");
                later.add(account);
                List<Long> ids;
                // The relay removes rows once delivered: read their ids while it is paused.
                try (RelayPause pause = RelayPause.hold()) {
                    assertCreated(ledger.openAccount(account, "EUR", 0));
                    assertCreated(ledger.deposit(account, 5 + later.size(), "EUR"));
                    ids = tables.longs("select id from outbox_event where account_id = ? order by version", account);
                }
                assertThat(ids).as("outbox ids of %s", account).hasSize(2);
                assertThat(ids).allSatisfy(id -> assertThat(id).as("later committed id").isGreaterThan(heldMaxId));
                laterMinId = Math.min(laterMinId, ids.get(0));
                // The consumer commits before the round removes the rows: wait for both.
                Tables.await(FEED_WAIT, account + " in the feed and removed while the earlier transaction is held",
                        () -> tables.feedOf(account).size() == 2 && tables.number("select count(*) from outbox_event"
                                + " where account_id = ? and relayed_at is null", account) == 0);
                assertThat(tables.number("select count(*) from event_feed where account_id = ?", heldAccount))
                        .as("held account in the feed before its commit").isZero();
                assertThat(held.isOpen(tables)).as("the held transaction is still open").isTrue();
            }
            Duration heldFor;
            try (RelayPause pause = RelayPause.hold()) {
                heldFor = held.commit();
                assertThat(tables.longs("select id from outbox_event where account_id = ? order by version",
                        heldAccount)).as("the held rows after their commit, with the ids they took early")
                        .containsExactlyElementsOf(heldIds);
            }

            assertThat(heldFor).as("time the transaction was held open").isGreaterThanOrEqualTo(hold);
            assertThat(later.size()).as("later writes delivered meanwhile").isGreaterThanOrEqualTo(3);
            assertThat(heldMaxId).as("the held rows' ids against the later rows'").isLessThan(laterMinId);

            Tables.await(FEED_WAIT, heldAccount + " in the feed after its late commit",
                    () -> tables.feedOf(heldAccount).size() == 3);
            List<FeedRow> feed = tables.feedOf(heldAccount);
            assertThat(feed).extracting(FeedRow::version).containsExactly(1L, 2L, 3L);
            assertThat(feed).extracting(FeedRow::balanceAfter).containsExactly(0L, 40L, 42L);
            assertThat(feed.get(1).position()).isGreaterThan(feed.get(0).position());
            assertThat(feed.get(2).position()).isGreaterThan(feed.get(1).position());
            long lastLaterPosition = tables.number("select max(position) from event_feed where account_id = any(?)",
                    later);
            assertThat(feed.get(0).position()).as("delivered after the rows that committed before it")
                    .isGreaterThan(lastLaterPosition);
            assertThat(tables.longs("select version from event_feed where account_id = ? order by version",
                    heldAccount)).containsExactly(1L, 2L, 3L);

            Reply read = ledger.get("/api/v1/accounts/" + heldAccount + "?minVersion=3");
            assertThat(read.status()).as(read.body()).isEqualTo(200);
            JsonNode account = read.json();
            assertThat(account.get("version").asLong()).isEqualTo(3);
            assertThat(account.get("balance").asLong()).isEqualTo(42);
            for (int i = 0; i < later.size(); i++) {
                JsonNode other = ledger.get("/api/v1/accounts/" + later.get(i) + "?minVersion=2").json();
                assertThat(other.get("balance").asLong()).as("balance of %s", later.get(i)).isEqualTo(5 + (i + 1));
            }

            // Nothing of any account was skipped: every outbox row is relayed and in the feed.
            Projections.awaitSettled();
            assertThat(tables.number("select count(*) from relay_dead_letter where released_at is null")).as("dead letters").isZero();
            assertThat(tables.number("select count(*) from outbox_event where relayed_at is null"))
                    .as("outbox rows not relayed").isZero();
            assertThat(tables.rows("select o.id, o.account_id, o.version from outbox_event o where not exists"
                    + " (select 1 from event_feed f where f.account_id = o.account_id and f.version = o.version)"))
                    .as("outbox rows missing from the feed").isEmpty();
            assertThat(tables.number("select count(*) from projection_held h where exists"
                    + " (select 1 from outbox_event o where o.account_id = h.account_id)"))
                    .as("events of real accounts held behind a gap").isZero();
            assertThat(metrics.gapsHeld()).as("gaps the consumer saw").isEqualTo(gapsBefore);
        }
    }

    /** The hold: {@link #HOLD_MIN}, or longer when a configured timeout comes near it. */
    private Duration holdLongerThanEveryTimeout() {
        Duration longest = Stream.of(commands.lockWaitMax(), relay.pollInterval(), reads.minVersionWaitMax(),
                Duration.ofMillis(connectionTimeoutMs)).max(Duration::compareTo).orElseThrow();
        Duration hold = longest.plusSeconds(1);
        return hold.compareTo(HOLD_MIN) > 0 ? hold : HOLD_MIN;
    }

    private static void assertCreated(Reply reply) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
    }

    private static Origin origin(String requestId) {
        return new Origin(Instant.now(), requestId, "out-of-order-commit-test");
    }

    /**
     * Opens an account and deposits twice through Axon, as the service does, in one transaction
     * held open on a thread of its own until {@link #commit()}. Closing it without a commit rolls
     * the transaction back, so a failing test leaves no lock and no row behind.
     */
    private final class HeldTransaction implements AutoCloseable {

        private final String accountId;
        private final ExecutorService thread = Executors.newSingleThreadExecutor();
        private final CountDownLatch written = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);
        private final AtomicBoolean commit = new AtomicBoolean(false);
        private final AtomicLong backendPid = new AtomicLong();
        private final AtomicLong writtenAt = new AtomicLong();
        private final AtomicLong committingAt = new AtomicLong();
        private final AtomicReference<List<Long>> outboxIds = new AtomicReference<>();
        private Future<?> transaction;

        HeldTransaction(String accountId) {
            this.accountId = accountId;
        }

        /** Returns the outbox ids the transaction took, once its rows are written (not committed). */
        List<Long> writeUncommitted() throws Exception {
            TransactionTemplate transactions = new TransactionTemplate(transactionManager);
            transaction = thread.submit(() -> transactions.executeWithoutResult(status -> {
                JdbcTemplate jdbc = new JdbcTemplate(dataSource);
                backendPid.set(jdbc.queryForObject("select pg_backend_pid()", Long.class));
                commandGateway.sendAndWait(new OpenAccountCommand(accountId, "EUR", 0, origin("held-open")));
                commandGateway.sendAndWait(new DepositMoneyCommand(accountId, "held-1", 40, "EUR", "held", null,
                        origin("held-1")));
                commandGateway.sendAndWait(new DepositMoneyCommand(accountId, "held-2", 2, "EUR", "held", null,
                        origin("held-2")));
                TransactionBuffer.flushNow();
                outboxIds.set(jdbc.queryForList("select id from outbox_event where account_id = ? order by version",
                        Long.class, accountId));
                writtenAt.set(System.nanoTime());
                written.countDown();
                try {
                    if (!released.await(WAIT.toSeconds() * 2, SECONDS) || !commit.get()) {
                        status.setRollbackOnly();
                    }
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    status.setRollbackOnly();
                }
                committingAt.set(System.nanoTime());
            }));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!written.await(50, MILLISECONDS)) {
                if (transaction.isDone()) {
                    transaction.get();
                    fail("the held transaction ended before writing");
                }
                if (System.nanoTime() > deadline) {
                    fail("the held transaction did not write within " + WAIT);
                }
            }
            return outboxIds.get();
        }

        Duration heldFor() {
            return Duration.ofNanos(System.nanoTime() - writtenAt.get());
        }

        /** Whether PostgreSQL still shows the transaction open on its backend. */
        boolean isOpen(Tables tables) {
            return tables.number("select count(*) from pg_stat_activity where pid = ?"
                    + " and state = 'idle in transaction'", (int) backendPid.get()) == 1;
        }

        /** Commits, and answers how long the transaction was held open after writing. */
        Duration commit() throws Exception {
            commit.set(true);
            released.countDown();
            transaction.get(WAIT.toSeconds(), SECONDS);
            return Duration.ofNanos(committingAt.get() - writtenAt.get());
        }

        @Override
        public void close() throws InterruptedException {
            released.countDown();
            thread.shutdownNow();
            if (!thread.awaitTermination(WAIT.toSeconds(), SECONDS)) {
                fail("the held transaction's thread did not end");
            }
        }
    }
}

package dev.ledger.api.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ledger.infra.outbox.RelayMetrics;
import dev.ledger.infra.outbox.RelayMetricsAccess;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.Poll;
import dev.ledger.support.Projections;
import dev.ledger.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Proves that the relay times its rounds ({@code ledger_relay_round_seconds}) and that a round's
 * time is all of it: a round held up by a lock on the read model is counted over 200 ms, and its
 * log line puts the wait where it was, in the round's last round trip (the read models' rows and
 * the commit), not in its read nor in applying the rows; that round read the read models in its
 * first round trip, with the rows. A round whose consumer lock is held elsewhere (as by a rebuild)
 * reads them in a round trip of its own, which waits for the lock, and the line says so.
 */
class RelayRoundMetricsTest extends IntegrationTest {

    private static final String ROUNDS = "ledger_relay_round_seconds";
    private static final String UNDER_200_MS = ROUNDS + "_bucket{le=\"0.2\"}";
    private static final Pattern SPLIT = Pattern.compile(
            "A relay round took (\\d+) ms for \\d+ outbox row\\(s\\): (\\d+) ms to lock and read them"
                    + "( and the read models)?, (\\d+) ms to (?:read the read models and )?apply them,"
                    + " (\\d+) ms to write them, remove them and commit.*");

    /** The consumer's lock ({@code LedgerProjector.LOCK_CLASS}, {@code PROJECTOR_LOCK}). */
    private static final int LOCK_CLASS = 0x1ed9e7;
    private static final int PROJECTOR_LOCK = 2;

    @Autowired
    private RelayMetrics relayMetrics;

    @Test
    void a_round_held_up_by_a_lock_is_timed_with_its_wait() throws Exception {
        String account = unique("relay-round");
        Api.created(ledger.openAccount(account, "EUR", 0));
        Projections.awaitSettled();
        Scrape before = Scrape.of(ledger);
        assertThat(before.text()).contains("# TYPE " + ROUNDS + " histogram");

        List<String> lines;
        try (Connection lock = TestDatabase.get().connect()) {
            lock.setAutoCommit(false);
            try (PreparedStatement row = lock.prepareStatement(
                    "select version from account_balance where account_id = ? for update")) {
                row.setString(1, account);
                try (ResultSet rs = row.executeQuery()) {
                    assertThat(rs.next()).as("the account's read-model row").isTrue();
                }
            }
            Api.created(ledger.deposit(account, 100, "EUR"));
            // The relay's round has read the deposit's row and waits for this transaction's lock.
            lines = linesOfTheRoundHeldBy(lock, "a relay round waiting for the read-model row's lock");
        }

        Scrape after = Scrape.of(ledger);
        double rounds = after.value(ROUNDS + "_count") - before.value(ROUNDS + "_count");
        double quick = after.value(UNDER_200_MS) - before.value(UNDER_200_MS);
        assertThat(rounds).as("rounds that delivered rows").isGreaterThanOrEqualTo(1);
        assertThat(rounds - quick).as("rounds over 200 ms: the one that waited for the lock").isGreaterThanOrEqualTo(1);
        assertThat(after.value(ROUNDS + "_sum") - before.value(ROUNDS + "_sum")).as("seconds the rounds took")
                .isGreaterThanOrEqualTo(0.25);
        assertThat(after.value(ROUNDS + "_bucket{le=\"+Inf\"}")).as("every round in a bucket")
                .isEqualTo(after.value(ROUNDS + "_count"));
        assertThat(ledger.account(account).json().get("balance").asLong()).as("the deposit got through")
                .isEqualTo(100);

        assertThat(lines).as("the held round's log line").hasSize(1);
        Matcher split = SPLIT.matcher(lines.get(0));
        assertThat(split.matches()).as(lines.get(0)).isTrue();
        assertThat(split.group(3)).as("the read models read with the rows, in the first round trip: " + lines.get(0))
                .isNotNull();
        long took = Long.parseLong(split.group(1));
        long read = Long.parseLong(split.group(2));
        long applied = Long.parseLong(split.group(4));
        long written = Long.parseLong(split.group(5));
        // Each part is rounded down to whole milliseconds on its own.
        assertThat(took).isGreaterThanOrEqualTo(250).isBetween(read + applied + written, read + applied + written + 2);
        assertThat(written).as("the wait for the read model's row lock, in the last round trip").isGreaterThanOrEqualTo(250);
        assertThat(applied).as("applying the rows").isLessThan(250);
        assertThat(read).as("the round's lock and read").isLessThan(250);
    }

    @Test
    void a_round_whose_consumer_lock_is_held_elsewhere_reads_the_read_models_itself_once_it_has_the_lock()
            throws Exception {
        String account = unique("relay-lock");
        Api.created(ledger.openAccount(account, "EUR", 0));
        Projections.awaitSettled();

        List<String> lines;
        try (Connection lock = TestDatabase.get().connect()) {
            lock.setAutoCommit(false);
            try (PreparedStatement consumerLock = lock.prepareStatement("select pg_advisory_xact_lock(?, ?)")) {
                consumerLock.setInt(1, LOCK_CLASS);
                consumerLock.setInt(2, PROJECTOR_LOCK);
                consumerLock.executeQuery().close();
            }
            Api.created(ledger.deposit(account, 70, "EUR"));
            // The relay's round has read the deposit's row, found the consumer's lock taken, and
            // waits for it in the read models' own read.
            lines = linesOfTheRoundHeldBy(lock, "a relay round waiting for the consumer's lock");
        }

        assertThat(ledger.account(account).json().get("balance").asLong()).as("the deposit got through")
                .isEqualTo(70);
        assertThat(Rows.count("select count(*) from event_feed where account_id = ?", account))
                .as("the account's events in the feed, once each").isEqualTo(2);
        assertThat(lines).as("the held round's log line").hasSize(1);
        Matcher split = SPLIT.matcher(lines.get(0));
        assertThat(split.matches()).as(lines.get(0)).isTrue();
        assertThat(split.group(3)).as("the read models read in a round trip of their own: " + lines.get(0)).isNull();
        assertThat(lines.get(0)).contains("ms to read the read models and apply them");
        assertThat(Long.parseLong(split.group(4))).as("the wait for the consumer's lock, in reading the read models")
                .isGreaterThanOrEqualTo(250);
        assertThat(Long.parseLong(split.group(2))).as("the round's lock and read").isLessThan(250);
    }

    /**
     * Waits (bounded) until a relay round waits for {@code lock}'s transaction, then holds it a
     * quarter of a second more on the server's side, commits, and answers the relay's slow-round
     * lines logged meanwhile: no other round can end before the held one, so the first line is its.
     */
    private List<String> linesOfTheRoundHeldBy(Connection lock, String waiting) throws Exception {
        int pid = (int) TestDatabase.queryLong(lock, "select pg_backend_pid()");
        Poll.until(waiting, Duration.ofSeconds(20), () -> countBlockedBy(pid), blocked -> blocked > 0);
        Logger logger = (Logger) LoggerFactory.getLogger(RelayMetrics.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        Level levelBefore = logger.getLevel();
        try {
            logger.setLevel(Level.INFO);
            logged.start();
            logger.addAppender(logged);
            RelayMetricsAccess.logNextSlowRound(relayMetrics);
            TestDatabase.queryLong(lock, "select 1 from pg_sleep(0.25)");
            lock.commit();
            Projections.awaitSettled();
        } finally {
            logger.detachAppender(logged);
            logger.setLevel(levelBefore);
        }
        return logged.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    private static int countBlockedBy(int pid) {
        return (int) TestDatabase.get().queryLong(
                "select count(*) from pg_stat_activity where ? = any(pg_blocking_pids(pid))", pid);
    }
}

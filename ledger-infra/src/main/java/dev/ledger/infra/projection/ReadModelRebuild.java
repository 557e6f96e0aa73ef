package dev.ledger.infra.projection;

import dev.ledger.infra.account.LedgerEntry;
import dev.ledger.infra.account.ProgressLog;
import dev.ledger.infra.account.StoredEvents;
import dev.ledger.infra.account.StreamFold;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import javax.sql.DataSource;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Rebuilds the read model (balances) from the event store, the source of truth. It holds the
 * consumer's lock for the whole rebuild, so no delivery interleaves, and it replays exactly the
 * events the feed has delivered: afterwards the read model is what live delivery would have
 * produced, and delivery carries on from where it was. One rebuild runs at a time, in the
 * background; its progress (percentage, events per second) is in {@link #status()} and the log. A
 * rebuild that finds a stream it cannot fold rolls back and leaves the balances as they were.
 */
@Service
public class ReadModelRebuild {

    private static final Logger log = LoggerFactory.getLogger(ReadModelRebuild.class);
    private static final int WRITE_BATCH_SIZE = 1000;

    /**
     * Accounts whose feed rows are not versions 1 to N of a stream of at least N events, at most five:
     * named when a rebuild finds that it replayed a different number of events than the feed holds
     * (a full read of the feed, on that failure only).
     */
    static final String FEED_NOT_PREFIXES = """
            select f.account_id from event_feed f
            group by f.account_id
            having count(*) <> max(f.version) or min(f.version) <> 1
                or max(f.version) > coalesce((select max(d.sequence_number) + 1 from domain_event_entry d
                                              where d.aggregate_identifier = f.account_id), 0)
            order by f.account_id
            limit 5""";

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transactions;
    private final StoredEvents storedEvents;
    private final Clock clock;
    private final DataSource dataSource;
    /** Events read, folded and copied in per step: bounds the memory a rebuild holds. */
    private final int chunkSize;
    private final AtomicReference<Status> status = new AtomicReference<>(Status.idle());

    ReadModelRebuild(JdbcTemplate jdbc, PlatformTransactionManager transactions, StoredEvents storedEvents,
                     Clock clock, DataSource dataSource,
                     @Value("${ledger.rebuild.chunk-size:50000}") int chunkSize) {
        if (chunkSize < 1 || chunkSize > 1_000_000) {
            throw new IllegalArgumentException("ledger.rebuild.chunk-size must be 1..1000000");
        }
        this.chunkSize = chunkSize;
        this.dataSource = dataSource;
        this.jdbc = jdbc;
        this.transactions = new TransactionTemplate(transactions);
        this.storedEvents = storedEvents;
        this.clock = clock;
    }

    public Status status() {
        return status.get();
    }

    /** Starts a rebuild in the background unless one is running; returns the status either way. */
    public synchronized Status start() {
        if (status.get().state() == State.RUNNING) {
            return status.get();
        }
        status.set(Status.running(clock.instant(), clock.instant(), 0, 0));
        Thread worker = new Thread(this::runQuietly, "read-model-rebuild");
        worker.setDaemon(true);
        worker.start();
        return status.get();
    }

    /** Rebuilds in the calling thread; returns the final status. */
    public Status run() {
        Instant started = clock.instant();
        status.set(Status.running(started, started, 0, 0));
        long applied = transactions.execute(tx -> rebuild(started));
        Status done = status.get().finished(State.SUCCEEDED, clock.instant(), applied, null);
        status.set(done);
        log.info("Read-model rebuild done: {} events in {} ms ({} events/s)", applied,
                Duration.between(started, done.finishedAt()).toMillis(), Math.round(done.eventsPerSecond()));
        return done;
    }

    private void runQuietly() {
        try {
            run();
        } catch (RuntimeException failure) {
            log.error("Read-model rebuild failed; the read models are unchanged", failure);
            status.set(status.get().finished(State.FAILED, clock.instant(), status.get().processedEvents(),
                    "the rebuild failed and was rolled back: " + failure.getMessage()));
        }
    }

    private long rebuild(Instant started) {
        jdbc.queryForObject("select pg_advisory_xact_lock(?, ?)::text", String.class, LedgerProjector.LOCK_CLASS,
                LedgerProjector.PROJECTOR_LOCK);
        Long total = jdbc.queryForObject("select count(*) from event_feed", Long.class);
        long totalEvents = total == null ? 0 : total;
        status.set(Status.running(started, clock.instant(), totalEvents, 0));
        log.info("Read-model rebuild started: {} events to replay", totalEvents);
        // Readers of balances wait for the rebuild: the truncate holds the table until it commits.
        jdbc.execute("truncate account_balance");

        // Chunks of stored rows in (account, version) order, read (and deserialized) on a connection
        // and thread of their own while the previous chunk is folded here: the two overlap on two
        // cores.
        Writer writer = new Writer(started, totalEvents);
        try (ChunkReader reader = ChunkReader.start(dataSource, chunkSize)) {
            for (List<ChunkReader.Row> chunk = reader.next(); !chunk.isEmpty(); chunk = reader.next()) {
                for (ChunkReader.Row row : chunk) {
                    writer.accept(row.entry(storedEvents), row.lastVersion(), row.position());
                }
            }
        }
        writer.finish();
        if (writer.applied != totalEvents) {
            throw new IllegalStateException("the feed holds " + totalEvents + " events, but " + writer.applied
                    + " were replayed; the feed does not hold its streams' first events for accounts "
                    + jdbc.queryForList(FEED_NOT_PREFIXES, String.class));
        }
        return writer.applied;
    }

    /**
     * Folds the streams account by account (a stream that does not fold ends the rebuild, which
     * then rolls back) and writes the balances in batches.
     */
    private final class Writer {
        private final Instant started;
        private final long total;
        private final StreamFold fold = new StreamFold();
        private final ProgressLog progress;
        private final List<Object[]> balances = new ArrayList<>(WRITE_BATCH_SIZE);
        private long lastVersion;
        private long position;
        private long applied;

        private Writer(Instant started, long total) {
            this.started = started;
            this.total = total;
            this.progress = new ProgressLog(log, "Read-model rebuild", clock, total);
        }

        void accept(LedgerEntry entry, long accountLastVersion, long accountPosition) {
            if (fold.startsNewAccount(entry)) {
                closeAccount();
            }
            fold.accept(entry);
            lastVersion = accountLastVersion;
            position = accountPosition;
            applied++;
            if (progress.tick(applied) || applied % WRITE_BATCH_SIZE == 0) {
                status.set(Status.running(started, clock.instant(), total, applied));
            }
        }

        void finish() {
            closeAccount();
            flushBalances();
        }

        private void closeAccount() {
            if (fold.accountId() == null) {
                return;
            }
            if (fold.version() != lastVersion) {
                throw new IllegalStateException("the feed of account " + fold.accountId() + " has delivered up to"
                        + " version " + lastVersion + ", but its stream ends at version " + fold.version());
            }
            balances.add(new Object[] {fold.accountId(), fold.currency(), fold.balance(), fold.overdraftLimit(),
                    fold.version(), position, Timestamp.from(clock.instant())});
            if (balances.size() >= WRITE_BATCH_SIZE) {
                flushBalances();
            }
        }

        private void flushBalances() {
            if (!balances.isEmpty()) {
                jdbc.batchUpdate("insert into account_balance (account_id, currency, balance, overdraft_limit, version,"
                        + " position, updated_at) values (?, ?, ?, ?, ?, ?, ?)", balances);
                balances.clear();
            }
        }
    }

    public enum State { IDLE, RUNNING, SUCCEEDED, FAILED }

    /** Where the current or last rebuild stands. */
    public record Status(State state, long totalEvents, long processedEvents, double percent, double eventsPerSecond,
                         Instant startedAt, Instant finishedAt, String error) {

        static Status idle() {
            return new Status(State.IDLE, 0, 0, 0, 0, null, null, null);
        }

        static Status running(Instant startedAt, Instant now, long total, long processed) {
            double seconds = Math.max(Duration.between(startedAt, now).toMillis(), 1) / 1000.0;
            return new Status(State.RUNNING, total, processed, total == 0 ? 0 : 100.0 * processed / total,
                    processed / seconds, startedAt, null, null);
        }

        Status finished(State outcome, Instant at, long processed, String failure) {
            double seconds = Math.max(Duration.between(startedAt, at).toMillis(), 1) / 1000.0;
            double done = outcome == State.SUCCEEDED ? 100.0 : (totalEvents == 0 ? 0 : 100.0 * processed / totalEvents);
            return new Status(outcome, totalEvents, processed, done, processed / seconds, startedAt, at, failure);
        }
    }
}

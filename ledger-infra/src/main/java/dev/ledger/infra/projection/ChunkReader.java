package dev.ledger.infra.projection;

import dev.ledger.infra.account.LedgerEntry;
import dev.ledger.infra.account.StoredEvents;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.postgresql.PGStatement;

/**
 * Reads the delivered events for a rebuild, a chunk at a time in (account, version) order, on a
 * connection and a thread of its own, so that the database reads the next chunk while the rebuild
 * deserializes, folds and copies the current one. The rows are handed over as stored: the query
 * was the longest step, and deserializing here kept it waiting (in a rebuild after pgbench's load,
 * the database was running this query in about two thirds of the samples; that was when each chunk
 * joined every feed row to the store, which took three times the database's time of the walk of
 * the store it is now). At most one finished
 * chunk waits for the rebuild, so the memory held stays bounded (three chunks: one waiting, one
 * being read, one being written).
 *
 * <p>The reader must be started once the rebuild holds the consumer's lock: from then on no
 * delivery commits, so the feed this connection sees is the one the rebuild's transaction sees.
 */
final class ChunkReader implements AutoCloseable {

    /** How long the rebuild waits for one chunk before it gives up (and rolls back). */
    static final Duration CHUNK_WAIT_MAX = Duration.ofMinutes(5);
    private static final long HAND_OVER_POLL_MS = 100;
    private static final long STOP_WAIT_MS_MAX = 10_000;

    /**
     * A chunk of the store in (account, sequence) order: a walk of its (aggregate, sequence) index.
     * The store alone, not joined to the feed: a join probed the store's index once per delivered
     * event (about five buffer visits and a descent of text keys per row, three times the time of
     * this walk on the benchmark's database); each account's delivered events are the first ones of
     * its stream ({@link #DELIVERED_SQL}).
     */
    static final String CHUNK_SQL = "select " + StoredEvents.COLUMNS + """
            , d.aggregate_identifier, d.sequence_number
            from domain_event_entry d
            where (d.aggregate_identifier, d.sequence_number) > (?, ?)
            order by d.aggregate_identifier, d.sequence_number
            limit ?""";

    /**
     * The last delivered event (version and feed position) of each account given, and its first
     * delivered version: one step at each end of the feed's (account, version) index; no row for an
     * account with none. The relay delivers an account's events in order, so what the feed holds
     * of an account is the first events of its stream, versions 1 to its last. That is checked:
     * here that the first is 1, by {@link ReadModelRebuild} that each account's stream reaches its
     * last delivered version and that the events replayed are as many as the feed holds (distinct
     * versions from 1 to N are N events only if none is missing).
     */
    static final String DELIVERED_SQL = """
            select a.account_id, f.version, f.position,
                   (select min(g.version) from event_feed g where g.account_id = a.account_id)
            from unnest(?::text[]) as a(account_id)
            cross join lateral (select version, position from event_feed
                                where account_id = a.account_id
                                order by version desc limit 1) as f""";

    /**
     * One delivered event as stored ({@link StoredEvents#COLUMNS}), and its account's last delivered
     * event: its version (where the account's fold must end) and its feed position (where the
     * account's balance is once folded).
     */
    record Row(byte[] payload, String payloadType, String payloadRevision, long lastVersion, long position) {

        LedgerEntry entry(StoredEvents storedEvents) {
            return storedEvents.entry(payload, payloadType, payloadRevision);
        }
    }

    private final DataSource dataSource;
    private final int chunkSize;
    private final BlockingQueue<Object> chunks = new ArrayBlockingQueue<>(1);
    private final Thread thread;
    private volatile boolean closed;

    private ChunkReader(DataSource dataSource, int chunkSize) {
        this.dataSource = dataSource;
        this.chunkSize = chunkSize;
        this.thread = new Thread(this::run, "read-model-rebuild-reader");
        this.thread.setDaemon(true);
    }

    static ChunkReader start(DataSource dataSource, int chunkSize) {
        ChunkReader reader = new ChunkReader(dataSource, chunkSize);
        reader.thread.start();
        return reader;
    }

    /** The next chunk; empty once every delivered event has been read. */
    @SuppressWarnings("unchecked")
    List<Row> next() {
        Object item;
        try {
            item = chunks.poll(CHUNK_WAIT_MAX.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("the rebuild was interrupted while it waited for events");
        }
        if (item == null) {
            throw new IllegalStateException("no events read within " + CHUNK_WAIT_MAX);
        }
        if (item instanceof Throwable failure) {
            throw new IllegalStateException("reading the event store failed: " + failure.getMessage(), failure);
        }
        return (List<Row>) item;
    }

    @Override
    public void close() {
        closed = true;
        chunks.clear();
        thread.interrupt();
        try {
            thread.join(STOP_WAIT_MS_MAX);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            connection.setReadOnly(true);
            try {
                readAll(connection);
            } finally {
                connection.rollback();
            }
        } catch (SQLException | RuntimeException failure) {
            hand(failure);
        }
    }

    private void readAll(Connection connection) throws SQLException {
        // Every chunk walks the store's (aggregate, sequence) index from where the last one stopped,
        // and probes the feed's (account, version) index at both ends per account; left to itself
        // the planner misjudged the row comparison (when the chunk was a join), scanned the whole
        // table and sorted it.
        // No parallel workers: on two cores they competed with the rebuild's own threads and the
        // backend that COPYed the statement lines in (a chunk's read took about 1.2x as long with
        // them, on a quiet machine). Not measured again since that COPY went (V10).
        try (Statement settings = connection.createStatement()) {
            settings.execute("set local enable_seqscan = off");
            settings.execute("set local enable_sort = off");
            settings.execute("set local max_parallel_workers_per_gather = 0");
        }
        try (PreparedStatement query = prepareChunkQuery(connection);
             PreparedStatement delivered = connection.prepareStatement(DELIVERED_SQL)) {
            String afterAccount = "";
            long afterSequence = -1;
            while (!closed) {
                query.setString(1, afterAccount);
                query.setLong(2, afterSequence);
                query.setInt(3, chunkSize);
                List<Stored> stored = new ArrayList<>(Math.min(chunkSize, 65_536));
                try (ResultSet rs = query.executeQuery()) {
                    while (rs.next()) {
                        stored.add(new Stored(rs.getBytes(1), rs.getString(2), rs.getString(3), rs.getString(4),
                                rs.getLong(5)));
                    }
                }
                if (stored.isEmpty()) {
                    hand(List.of());
                    return;
                }
                Stored last = stored.get(stored.size() - 1);
                afterAccount = last.accountId();
                afterSequence = last.sequence();
                List<Row> chunk = deliveredOnly(stored, delivered);
                // A chunk of events none of which is delivered yet is not handed over: an empty
                // chunk tells the rebuild that there is nothing more to read.
                if (!chunk.isEmpty() && !hand(chunk)) {
                    return;
                }
            }
        }
    }

    /** The stored events that the feed holds: each account's first ones, up to its last delivered version. */
    private static List<Row> deliveredOnly(List<Stored> stored, PreparedStatement delivered) throws SQLException {
        Set<String> accounts = new LinkedHashSet<>();
        stored.forEach(event -> accounts.add(event.accountId()));
        Map<String, Delivered> lastDelivered = new HashMap<>();
        delivered.setArray(1, delivered.getConnection().createArrayOf("text", accounts.toArray()));
        try (ResultSet rs = delivered.executeQuery()) {
            while (rs.next()) {
                if (rs.getLong(4) != 1) {
                    throw new IllegalStateException("the feed of account " + rs.getString(1) + " starts at version "
                            + rs.getLong(4) + ", not 1");
                }
                lastDelivered.put(rs.getString(1), new Delivered(rs.getLong(2), rs.getLong(3)));
            }
        }
        List<Row> rows = new ArrayList<>(stored.size());
        for (Stored event : stored) {
            Delivered last = lastDelivered.get(event.accountId());
            // An event's version is its sequence number + 1.
            if (last != null && event.sequence() + 1 <= last.version()) {
                rows.add(new Row(event.payload(), event.payloadType(), event.payloadRevision(), last.version(),
                        last.position()));
            }
        }
        return rows;
    }

    /** An account's last delivered event: its version and its feed position. */
    private record Delivered(long version, long position) {
    }

    /** A stored event as read, before the feed is consulted. */
    private record Stored(byte[] payload, String payloadType, String payloadRevision, String accountId,
                          long sequence) {
    }

    /**
     * The chunk query, its rows in binary from its first execution on. pgjdbc otherwise runs a
     * statement unnamed, with its results as text, for its first four executions (its
     * {@code prepareThreshold}, 5): a rebuild's first four chunks came with their payloads as hex
     * text, which the server spent CPU encoding and this thread decoding, while the JIT had not
     * compiled the decoder yet (the rebuild's code is cold when it first runs). A threshold of -1
     * asks for a server-prepared statement with binary results at once, at the cost of one more
     * round trip before the first chunk.
     */
    static PreparedStatement prepareChunkQuery(Connection connection) throws SQLException {
        PreparedStatement query = connection.prepareStatement(CHUNK_SQL);
        query.unwrap(PGStatement.class).setPrepareThreshold(-1);
        return query;
    }

    /** Hands an item to the rebuild, waiting while it is busy; false once the rebuild has stopped. */
    private boolean hand(Object item) {
        try {
            while (!closed) {
                if (chunks.offer(item, HAND_OVER_POLL_MS, TimeUnit.MILLISECONDS)) {
                    return true;
                }
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
        return false;
    }
}

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
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.postgresql.PGStatement;

/**
 * Reads the delivered events for a rebuild, a chunk at a time in (account, version) order, on a
 * connection and a thread of its own, so that the database reads the next chunk while the rebuild
 * deserializes, folds and copies the current one. The rows are handed over as stored: the query
 * is the longest step, and deserializing here kept it waiting (in a rebuild after pgbench's load,
 * the database was running this query in about two thirds of the samples). At most one finished
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

    static final String CHUNK_SQL = "select " + StoredEvents.COLUMNS + """
            , f.position, f.account_id, f.version
            from event_feed f
            join domain_event_entry d
              on d.aggregate_identifier = f.account_id and d.sequence_number = f.version - 1
            where (f.account_id, f.version) > (?, ?)
            order by f.account_id, f.version
            limit ?""";

    /** One delivered event as stored ({@link StoredEvents#COLUMNS}), and its feed position. */
    record Row(byte[] payload, String payloadType, String payloadRevision, long position) {

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
        // Every chunk walks the two (account, version) indexes from where the last one stopped; left
        // to itself the planner misjudges the row comparison, scans the whole feed and sorts it.
        // No parallel workers: on two cores they competed with the rebuild's own threads and the
        // backend that COPYed the statement lines in (a chunk's read took about 1.2x as long with
        // them, on a quiet machine). Not measured again since that COPY went (V10).
        try (Statement settings = connection.createStatement()) {
            settings.execute("set local enable_seqscan = off");
            settings.execute("set local enable_sort = off");
            settings.execute("set local max_parallel_workers_per_gather = 0");
        }
        try (PreparedStatement query = prepareChunkQuery(connection)) {
            String afterAccount = "";
            long afterVersion = 0;
            while (!closed) {
                query.setString(1, afterAccount);
                query.setLong(2, afterVersion);
                query.setInt(3, chunkSize);
                List<Row> chunk = new ArrayList<>(Math.min(chunkSize, 65_536));
                try (ResultSet rs = query.executeQuery()) {
                    while (rs.next()) {
                        chunk.add(new Row(rs.getBytes(1), rs.getString(2), rs.getString(3), rs.getLong(4)));
                        afterAccount = rs.getString(5);
                        afterVersion = rs.getLong(6);
                    }
                }
                if (!hand(chunk) || chunk.isEmpty()) {
                    return;
                }
            }
        }
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

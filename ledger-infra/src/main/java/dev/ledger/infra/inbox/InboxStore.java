package dev.ledger.infra.inbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.infra.BatchedPurge;
import dev.ledger.infra.Pipeline;
import dev.ledger.infra.TransactionBuffer;
import java.time.Clock;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/**
 * The idempotency inbox. Every method that reads or writes an entry must run inside the
 * transaction that also appends the request's events, so the answer and its effect commit
 * together or not at all. The answers a transaction saves go in as one batch just before it
 * commits (a group commit saves many); until then {@link #findPending} returns them from memory.
 */
@Repository
public class InboxStore {

    private static final Logger log = LoggerFactory.getLogger(InboxStore.class);
    private static final ObjectMapper HEADERS = new ObjectMapper();
    private static final TypeReference<Map<String, String>> HEADER_MAP = new TypeReference<>() {
    };

    /** Tries the locks of the keys given (locked); fails (SQLSTATE LW001) unless it gets every one. */
    public static final String EXPECT_LOCKED_SQL = "select ledger_expect(bool_and(pg_try_advisory_xact_lock("
            + "hashtextextended(k, 0))), 'the idempotency keys'' locks') from (select unnest(?::text[]) as k) as keys";

    /** Stores answers, one array per column (arrays unnested in the select list: {@link Pipeline}). */
    public static final String INSERT_SQL = """
            insert into idempotency_inbox (client_id, idempotency_key, request_id, fingerprint, status_code,
                                           response_headers, response_body, created_at)
            """ + "select " + Pipeline.unnested("text", "text", "text", "text", "int", "text", "bytea", "timestamptz");

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final IdempotencyProperties properties;

    InboxStore(JdbcTemplate jdbc, Clock clock, IdempotencyProperties properties) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.properties = properties;
    }

    /** The text whose hash names a key's advisory lock; tests lock it to simulate a request in flight. */
    public static String lockKey(InboxKey key) {
        return key.clientId() + '\n' + key.idempotencyKey();
    }

    /**
     * Adds the statement that tries the locks of several keys to {@code pipeline}; once it has run,
     * {@code locked} holds the keys whose lock this transaction now holds (a key given twice is
     * locked once, and held). A key's lock is a transaction-scoped advisory lock in PostgreSQL's
     * single-bigint key space, held until the transaction that executes the request ends, in every
     * instance of the service, and only ever tried, never waited for.
     */
    public Pipeline tryLockAll(Pipeline pipeline, Collection<InboxKey> keys, Set<InboxKey> locked) {
        List<InboxKey> distinct = List.copyOf(new LinkedHashSet<>(keys));
        return pipeline.query("select k.ord, pg_try_advisory_xact_lock(hashtextextended(k.lock_key, 0))"
                        + " from unnest(?::text[]) with ordinality as k(lock_key, ord)",
                rs -> {
                    if (rs.getBoolean(2)) {
                        locked.add(distinct.get(rs.getInt(1) - 1));
                    }
                }, (Object) distinct.stream().map(InboxStore::lockKey).toArray(String[]::new));
    }

    /**
     * Adds the statement that tries the locks of several keys, like {@link #tryLockAll}, but fails
     * the pipeline (and the transaction; SQLSTATE LW001) unless it got every one of them. Whether
     * an answer is stored for a key is left to the insert of the answer, which then fails on the
     * key's uniqueness.
     */
    public Pipeline expectLocked(Pipeline pipeline, Collection<InboxKey> keys) {
        return pipeline.query(EXPECT_LOCKED_SQL, rs -> { },
                (Object) keys.stream().distinct().map(InboxStore::lockKey).toArray(String[]::new));
    }

    /**
     * Adds the statement that reads the stored answers of several keys to {@code pipeline}; once it
     * has run, {@code found} holds them. To be placed after the statement that takes the keys'
     * locks, so that it sees every answer committed before.
     */
    public Pipeline findAll(Pipeline pipeline, Collection<InboxKey> keys, Map<InboxKey, StoredAnswer> found) {
        List<InboxKey> distinct = List.copyOf(new LinkedHashSet<>(keys));
        // One primary-key lookup per key (lateral), whatever the planner thinks of the table's size.
        return pipeline.query("select i.client_id, i.idempotency_key, i.fingerprint, i.request_id, i.status_code,"
                        + " i.response_headers, i.response_body"
                        + " from unnest(?::text[], ?::text[]) as k(client_id, idempotency_key)"
                        + " cross join lateral (select * from idempotency_inbox x where x.client_id = k.client_id"
                        + " and x.idempotency_key = k.idempotency_key) i",
                rs -> {
                    found.put(new InboxKey(rs.getString(1), rs.getString(2)), new StoredAnswer(rs.getString(3),
                            rs.getString(4), new StoredResponse(rs.getInt(5), readHeaders(rs.getString(6)),
                            rs.getBytes(7))));
                },
                distinct.stream().map(InboxKey::clientId).toArray(String[]::new),
                distinct.stream().map(InboxKey::idempotencyKey).toArray(String[]::new));
    }

    /** An answer saved earlier in the current transaction and not inserted yet, if any. */
    public Optional<StoredAnswer> findPending(InboxKey key) {
        Map<InboxKey, Row> pending = TransactionBuffer.existing(this);
        Row row = pending == null ? null : pending.get(key);
        return row == null ? Optional.empty()
                : Optional.of(new StoredAnswer(row.fingerprint(), row.requestId(), row.response()));
    }

    public void save(InboxKey key, String requestId, String fingerprint, StoredResponse response) {
        TransactionBuffer.<Map<InboxKey, Row>>of(this, LinkedHashMap::new, this::insertAll, () -> { }, jdbc)
                .put(key, new Row(key, requestId, fingerprint, response, clock.instant()));
    }

    /** Adds the insert of the buffered answers, one statement for all of them, and empties the buffer. */
    private void insertAll(Map<InboxKey, Row> buffered, Pipeline pipeline) {
        if (buffered.isEmpty()) {
            return;
        }
        List<Row> rows = List.copyOf(buffered.values());
        buffered.clear();
        pipeline.write(INSERT_SQL, rows.size(),
                Pipeline.texts(rows, row -> row.key().clientId()),
                Pipeline.texts(rows, row -> row.key().idempotencyKey()),
                Pipeline.texts(rows, Row::requestId),
                Pipeline.texts(rows, Row::fingerprint),
                rows.stream().map(row -> row.response().status()).toArray(Integer[]::new),
                Pipeline.texts(rows, row -> writeHeaders(row.response().headers())),
                rows.stream().map(row -> row.response().body()).toArray(byte[][]::new),
                Pipeline.texts(rows, row -> row.createdAt().toString()));
    }

    private record Row(InboxKey key, String requestId, String fingerprint, StoredResponse response,
                       Instant createdAt) {
    }

    /**
     * Deletes answers older than the retention period, a bounded batch per statement and a
     * bounded number of statements per run. Answers are kept at least that long, then until the
     * next run reaches them.
     */
    @Scheduled(fixedDelayString = "${ledger.idempotency.purge-interval:PT10M}",
            initialDelayString = "${ledger.idempotency.purge-interval:PT10M}")
    public int purgeExpired() {
        Instant cutoff = clock.instant().minus(properties.retention());
        int purged = BatchedPurge.run(properties.purgeBatchSize(), properties.purgeBatchesPerRun(),
                () -> jdbc.update("""
                    delete from idempotency_inbox where (client_id, idempotency_key) in (
                        select client_id, idempotency_key from idempotency_inbox
                        where created_at < ?
                        order by created_at
                        limit ?
                        for update skip locked)
                    """, Timestamp.from(cutoff), properties.purgeBatchSize()));
        if (purged > 0) {
            log.info("Purged {} idempotency keys older than {}", purged, properties.retention());
        }
        return purged;
    }

    /** A stored answer and what identifies the request it answered. */
    public record StoredAnswer(String fingerprint, String requestId, StoredResponse response) {
    }

    private static String writeHeaders(Map<String, String> headers) {
        try {
            return HEADERS.writeValueAsString(headers);
        } catch (JsonProcessingException impossible) {
            throw new IllegalStateException("headers of plain strings always serialize", impossible);
        }
    }

    private static Map<String, String> readHeaders(String json) {
        try {
            return HEADERS.readValue(json, HEADER_MAP);
        } catch (JsonProcessingException corrupt) {
            throw new IllegalStateException("stored response headers are not a JSON object", corrupt);
        }
    }
}

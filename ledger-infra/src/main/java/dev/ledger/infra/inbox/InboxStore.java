package dev.ledger.infra.inbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The idempotency inbox. Every method that reads or writes an entry must run inside the
 * transaction that also appends the request's events, so the answer and its effect commit
 * together or not at all. The answers a transaction saves go in as one batch just before it
 * commits (a group commit saves many); until then {@link #find} returns them from memory.
 */
@Repository
public class InboxStore {

    private static final Logger log = LoggerFactory.getLogger(InboxStore.class);
    private static final ObjectMapper HEADERS = new ObjectMapper();
    private static final TypeReference<Map<String, String>> HEADER_MAP = new TypeReference<>() {
    };

    /**
     * A transaction-scoped advisory lock per (client, key), in PostgreSQL's single-bigint key
     * space. It is held until the transaction that executes the request ends, in every instance
     * of the service, and it is only ever tried, never waited for.
     */
    public static final String TRY_LOCK_KEY_SQL = "select pg_try_advisory_xact_lock(hashtextextended(?, 0))";

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final IdempotencyProperties properties;
    private final TransactionTemplate transactions;

    InboxStore(JdbcTemplate jdbc, Clock clock, IdempotencyProperties properties, TransactionTemplate transactions) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.properties = properties;
        this.transactions = transactions;
    }

    /** The text whose hash names a key's advisory lock; tests lock it to simulate a request in flight. */
    public static String lockKey(InboxKey key) {
        return key.clientId() + '\n' + key.idempotencyKey();
    }

    /** Takes the key's lock for the current transaction, or answers false if another request holds it. */
    public boolean tryLock(InboxKey key) {
        return Boolean.TRUE.equals(jdbc.queryForObject(TRY_LOCK_KEY_SQL, Boolean.class, lockKey(key)));
    }

    public Optional<StoredAnswer> find(InboxKey key) {
        Map<InboxKey, Row> pending = pending(false);
        if (pending != null && pending.containsKey(key)) {
            Row row = pending.get(key);
            return Optional.of(new StoredAnswer(row.fingerprint(), row.requestId(), row.response()));
        }
        List<StoredAnswer> found = jdbc.query("select fingerprint, request_id, status_code, response_headers,"
                        + " response_body from idempotency_inbox where client_id = ? and idempotency_key = ?",
                (rs, n) -> new StoredAnswer(rs.getString(1), rs.getString(2),
                        new StoredResponse(rs.getInt(3), readHeaders(rs.getString(4)), rs.getBytes(5))),
                key.clientId(), key.idempotencyKey());
        return found.stream().findFirst();
    }

    public void save(InboxKey key, String requestId, String fingerprint, StoredResponse response) {
        pending(true).put(key, new Row(key, requestId, fingerprint, response, Timestamp.from(clock.instant())));
    }

    /** The answers saved in the current transaction and not inserted yet; created on first use. */
    @SuppressWarnings("unchecked")
    private Map<InboxKey, Row> pending(boolean create) {
        Map<InboxKey, Row> pending = (Map<InboxKey, Row>) TransactionSynchronizationManager.getResource(this);
        if (pending == null && create) {
            if (!TransactionSynchronizationManager.isSynchronizationActive()) {
                throw new IllegalStateException("answers may only be saved inside a transaction, with their effect");
            }
            Map<InboxKey, Row> rows = new LinkedHashMap<>();
            TransactionSynchronizationManager.bindResource(this, rows);
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void beforeCommit(boolean readOnly) {
                    insert(rows.values());
                    rows.clear();
                }

                @Override
                public void afterCompletion(int status) {
                    TransactionSynchronizationManager.unbindResourceIfPossible(InboxStore.this);
                }
            });
            pending = rows;
        }
        return pending;
    }

    private void insert(Collection<Row> rows) {
        if (rows.isEmpty()) {
            return;
        }
        jdbc.batchUpdate("insert into idempotency_inbox (client_id, idempotency_key, request_id, fingerprint,"
                        + " status_code, response_headers, response_body, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
                List.copyOf(rows), rows.size(), (statement, row) -> {
                    statement.setString(1, row.key().clientId());
                    statement.setString(2, row.key().idempotencyKey());
                    statement.setString(3, row.requestId());
                    statement.setString(4, row.fingerprint());
                    statement.setInt(5, row.response().status());
                    statement.setString(6, writeHeaders(row.response().headers()));
                    statement.setBytes(7, row.response().body());
                    statement.setTimestamp(8, row.createdAt());
                });
    }

    private record Row(InboxKey key, String requestId, String fingerprint, StoredResponse response,
                       Timestamp createdAt) {
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
        int purged = 0;
        for (int batch = 0; batch < properties.purgeBatchesPerRun(); batch++) {
            Integer deleted = transactions.execute(status -> jdbc.update("""
                    delete from idempotency_inbox where (client_id, idempotency_key) in (
                        select client_id, idempotency_key from idempotency_inbox
                        where created_at < ?
                        order by created_at
                        limit ?
                        for update skip locked)
                    """, Timestamp.from(cutoff), properties.purgeBatchSize()));
            purged += deleted == null ? 0 : deleted;
            if (deleted == null || deleted < properties.purgeBatchSize()) {
                break;
            }
        }
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

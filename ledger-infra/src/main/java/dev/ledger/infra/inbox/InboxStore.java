package dev.ledger.infra.inbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The idempotency inbox. Every method that reads or writes an entry must run inside the
 * transaction that also appends the request's events, so the answer and its effect commit
 * together or not at all.
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
    public static final String TRY_LOCK_KEY_SQL =
            "select pg_try_advisory_xact_lock(hashtextextended(:lockKey, 0))";

    @PersistenceContext
    private EntityManager entityManager;

    private final Clock clock;
    private final IdempotencyProperties properties;
    private final TransactionTemplate transactions;

    InboxStore(Clock clock, IdempotencyProperties properties, TransactionTemplate transactions) {
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
        Object locked = entityManager.createNativeQuery(TRY_LOCK_KEY_SQL)
                .setParameter("lockKey", lockKey(key))
                .getSingleResult();
        return Boolean.TRUE.equals(locked);
    }

    public Optional<StoredAnswer> find(InboxKey key) {
        InboxEntry entry = entityManager.find(InboxEntry.class, key);
        if (entry == null) {
            return Optional.empty();
        }
        StoredResponse response = new StoredResponse(entry.statusCode(), readHeaders(entry.responseHeaders()),
                entry.responseBody());
        return Optional.of(new StoredAnswer(entry.fingerprint(), entry.requestId(), response));
    }

    public void save(InboxKey key, String requestId, String fingerprint, StoredResponse response) {
        entityManager.persist(new InboxEntry(key, requestId, fingerprint, response.status(),
                writeHeaders(response.headers()), response.body(), clock.instant()));
        entityManager.flush();
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
            Integer deleted = transactions.execute(status -> entityManager.createNativeQuery("""
                    delete from idempotency_inbox where (client_id, idempotency_key) in (
                        select client_id, idempotency_key from idempotency_inbox
                        where created_at < :cutoff
                        order by created_at
                        limit :batchSize
                        for update skip locked)
                    """)
                    .setParameter("cutoff", cutoff)
                    .setParameter("batchSize", properties.purgeBatchSize())
                    .executeUpdate());
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

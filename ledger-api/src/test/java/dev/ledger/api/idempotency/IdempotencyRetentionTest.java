package dev.ledger.api.idempotency;

import static dev.ledger.api.idempotency.IdempotencyContractTest.assertReplayOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.api.idempotency.Wire.Answer;
import dev.ledger.infra.inbox.IdempotencyProperties;
import dev.ledger.infra.inbox.InboxStore;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Proves that answered keys are kept for the configured retention and then purged, oldest first,
 * in batches bounded per statement and per run, after which a key executes anew.
 *
 * <p>It drives the application's own {@link InboxStore} with its configured properties (default:
 * 7 days, 1000 rows per statement, 100 statements per run) instead of starting a second
 * application context with smaller ones, and counts what each purge statement deleted with a
 * statement-level trigger of the test's own.
 */
class IdempotencyRetentionTest extends IntegrationTest {

    private static final String INSERT_ROWS = """
            insert into idempotency_inbox
                (client_id, idempotency_key, request_id, fingerprint, status_code, response_headers, response_body,
                 created_at)
            select ?, ?::text || n, gen_random_uuid()::text, repeat('0', 64), 201, '{}', convert_to('{}', 'UTF8'),
                   now() - make_interval(secs => ?) - make_interval(secs => n)
            from generate_series(1, ?) as n""";

    @Autowired
    private InboxStore inbox;

    @Autowired
    private IdempotencyProperties properties;

    private Wire wire;

    @BeforeEach
    void connectWire() {
        wire = new Wire(ledger);
    }

    @Test
    void the_default_retention_is_seven_days() {
        assertThat(properties.retention()).isEqualTo(Duration.ofDays(7));
    }

    @Test
    void a_purge_removes_only_the_keys_older_than_the_retention_and_keeps_the_fresh_ones() {
        String client = unique("retention");
        long retention = properties.retention().toSeconds();
        insertRows(client, "expired-", 25, retention + 3600);
        insertRows(client, "fresh-", 3, 0);
        insertRows(client, "almost-expired-", 2, retention - 3600);
        long expiredBefore = expiredRows();

        int purged = inbox.purgeExpired();

        assertThat(purged).isEqualTo(expiredBefore).isGreaterThanOrEqualTo(25);
        assertThat(rowsOf(client, "expired-%")).isZero();
        assertThat(rowsOf(client, "fresh-%")).isEqualTo(3);
        assertThat(rowsOf(client, "almost-expired-%")).isEqualTo(2);
        assertThat(expiredRows()).isZero();
        assertThat(inbox.purgeExpired()).isZero();
    }

    @Test
    void a_purge_deletes_in_statements_of_at_most_the_batch_size_oldest_first() throws SQLException {
        String client = unique("retention");
        int batchSize = properties.purgeBatchSize();
        assertThat(properties.purgeBatchesPerRun()).as("this test needs three statements in one run")
                .isGreaterThanOrEqualTo(3);
        insertRows(client, "expired-", 2 * batchSize + 25, properties.retention().toSeconds() + 3600);
        insertRows(client, "fresh-", 3, 0);
        long expiredBefore = expiredRows();
        String audit = "test_purge_audit_" + UUID.randomUUID().toString().replace("-", "");

        int purged;
        List<long[]> statements;
        try {
            LedgerRows.execute(
                    "create table " + audit + " (id bigserial primary key, deleted bigint not null,"
                            + " oldest timestamptz, newest timestamptz)",
                    "create function " + audit + "() returns trigger language plpgsql as $$ begin"
                            + " insert into " + audit + " (deleted, oldest, newest)"
                            + " select count(*), min(created_at), max(created_at) from gone; return null; end $$",
                    "create trigger " + audit + " after delete on idempotency_inbox referencing old table as gone"
                            + " for each statement execute function " + audit + "()");

            purged = inbox.purgeExpired();

            statements = auditedStatements(audit);
        } finally {
            LedgerRows.execute(
                    "drop trigger if exists " + audit + " on idempotency_inbox",
                    "drop function if exists " + audit + "()",
                    "drop table if exists " + audit);
        }

        assertThat(purged).isEqualTo(expiredBefore);
        assertThat(statements).as("rows deleted per statement").hasSize(3);
        assertThat(statements.stream().mapToLong(statement -> statement[0]).sum()).isEqualTo(purged);
        assertThat(statements.get(0)[0]).isEqualTo(batchSize);
        assertThat(statements.get(1)[0]).isEqualTo(batchSize);
        assertThat(statements.get(2)[0]).isEqualTo(expiredBefore - 2L * batchSize);
        for (int i = 1; i < statements.size(); i++) {
            assertThat(statements.get(i - 1)[2]).as("newest of statement %d is not newer than the oldest of the next", i)
                    .isLessThanOrEqualTo(statements.get(i)[1]);
        }
        assertThat(rowsOf(client, "expired-%")).isZero();
        assertThat(rowsOf(client, "fresh-%")).isEqualTo(3);
    }

    @Test
    void one_purge_run_deletes_at_most_its_batch_size_times_its_batches_per_run_and_the_next_run_goes_on() {
        String client = unique("retention");
        int runLimit = properties.purgeBatchSize() * properties.purgeBatchesPerRun();
        insertRows(client, "expired-", runLimit + 7, properties.retention().toSeconds() + 3600);
        insertRows(client, "fresh-", 3, 0);
        long expiredBefore = expiredRows();

        int firstRun = inbox.purgeExpired();

        assertThat(firstRun).isEqualTo(runLimit);
        assertThat(expiredRows()).isEqualTo(expiredBefore - runLimit);

        int secondRun = inbox.purgeExpired();

        assertThat(secondRun).isEqualTo(expiredBefore - runLimit);
        assertThat(rowsOf(client, "expired-%")).isZero();
        assertThat(rowsOf(client, "fresh-%")).isEqualTo(3);
    }

    @Test
    void a_key_is_replayed_until_it_is_purged_and_then_executes_anew() {
        String account = unique("retention");
        Answer opened = wire.post("/api/v1/accounts", unique("key"), null,
                "{\"accountId\":\"" + account + "\",\"currency\":\"EUR\"}");
        assertThat(opened.status()).as(opened.text()).isEqualTo(201);
        String key = unique("key");
        String path = "/api/v1/accounts/" + account + "/deposits";
        String body = "{\"amount\":300,\"currency\":\"EUR\"}";
        Answer first = wire.post(path, key, null, body);
        assertThat(first.status()).as(first.text()).isEqualTo(201);

        assertThat(LedgerRows.update("update idempotency_inbox set created_at = now() - make_interval(secs => ?)"
                        + " where client_id = ? and idempotency_key = ?",
                (double) properties.retention().toSeconds() + 3600, LedgerRows.CLIENT, key)).isEqualTo(1);
        // Expired but not yet purged: still answered from the inbox (kept at least the retention).
        assertReplayOf(wire.post(path, key, null, body), first);

        assertThat(inbox.purgeExpired()).isGreaterThanOrEqualTo(1);
        assertThat(LedgerRows.inboxRows(key)).isZero();

        Answer anew = wire.post(path, key, null, body);

        assertThat(anew.status()).as(anew.text()).isEqualTo(201);
        assertThat(anew.header("Idempotent-Replayed")).isNull();
        assertThat(anew.json().get("entryId").asText()).isNotEqualTo(first.json().get("entryId").asText());
        assertThat(anew.json().get("version").asLong()).isEqualTo(3);
        assertThat(anew.json().get("balance").asLong()).isEqualTo(600);
        assertThat(LedgerRows.events(account)).isEqualTo(3);
        assertThat(LedgerRows.inboxRows(key)).isEqualTo(1);
    }

    // ---------------------------------------------------------------- helpers

    private static void insertRows(String client, String keyPrefix, int rows, long ageSeconds) {
        assertThat(LedgerRows.update(INSERT_ROWS, client, keyPrefix, (double) ageSeconds, rows)).isEqualTo(rows);
    }

    private long expiredRows() {
        return LedgerRows.count("select count(*) from idempotency_inbox where created_at < now() - make_interval(secs => ?)",
                (double) properties.retention().toSeconds());
    }

    private static long rowsOf(String client, String keyPattern) {
        return LedgerRows.count("select count(*) from idempotency_inbox where client_id = ? and idempotency_key like ?",
                client, keyPattern);
    }

    /** Per purge statement, in order: rows deleted, oldest and newest created_at (epoch microseconds). */
    private static List<long[]> auditedStatements(String audit) throws SQLException {
        List<long[]> statements = new ArrayList<>();
        try (Connection connection = TestDatabase.get().connect();
             Statement query = connection.createStatement();
             ResultSet rows = query.executeQuery("select deleted,"
                     + " coalesce((extract(epoch from oldest) * 1000000)::bigint, 0),"
                     + " coalesce((extract(epoch from newest) * 1000000)::bigint, 0)"
                     + " from " + audit + " where deleted > 0 order by id")) {
            while (rows.next()) {
                statements.add(new long[] {rows.getLong(1), rows.getLong(2), rows.getLong(3)});
            }
        }
        return statements;
    }
}

package dev.ledger.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Proves that the event store's schema, as the service migrates and uses it, avoids the known Axon
 * on PostgreSQL pitfalls: BYTEA not OID, a one-at-a-time global index, a unique version per account.
 */
class EventStoreSchemaTest extends IntegrationTest {

    @Test
    void payload_metadata_snapshot_and_token_columns_are_bytea() throws SQLException {
        Map<String, String> types = columnTypes("""
                select table_name || '.' || column_name, data_type from information_schema.columns
                where table_schema = current_schema()
                  and (table_name, column_name) in (('domain_event_entry', 'payload'),
                       ('domain_event_entry', 'meta_data'), ('snapshot_event_entry', 'payload'),
                       ('snapshot_event_entry', 'meta_data'), ('token_entry', 'token'))
                """);
        assertThat(types).containsExactlyInAnyOrderEntriesOf(Map.of(
                "domain_event_entry.payload", "bytea",
                "domain_event_entry.meta_data", "bytea",
                "snapshot_event_entry.payload", "bytea",
                "snapshot_event_entry.meta_data", "bytea",
                "token_entry.token", "bytea"));
    }

    @Test
    void no_column_of_the_schema_is_an_oid_large_object_reference() throws SQLException {
        Map<String, String> oids = columnTypes("""
                select table_name || '.' || column_name, udt_name from information_schema.columns
                where table_schema = current_schema() and udt_name in ('oid', 'lo')
                """);
        assertThat(oids).isEmpty();
    }

    @Test
    void the_global_index_sequence_hands_out_one_value_at_a_time() throws SQLException {
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = connection.prepareStatement("""
                     select increment_by, cache_size from pg_sequences
                     where schemaname = current_schema() and sequencename = 'domain_event_entry_global_index_seq'
                     """);
             ResultSet row = query.executeQuery()) {
            assertThat(row.next()).as("domain_event_entry_global_index_seq exists").isTrue();
            assertThat(row.getLong("increment_by")).isEqualTo(1);
            assertThat(row.getLong("cache_size")).isEqualTo(1);
        }
    }

    @Test
    void one_unique_index_guards_each_account_version() throws SQLException {
        List<String> uniqueIndexes = new ArrayList<>();
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = connection.prepareStatement("""
                     select i.indexrelid::regclass::text,
                            array_to_string(array(select a.attname from unnest(i.indkey) with ordinality k(attnum, n)
                                                  join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
                                                  order by k.n), ',')
                     from pg_index i
                     where i.indrelid = 'domain_event_entry'::regclass and i.indisunique and i.indpred is null
                     """);
             ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                uniqueIndexes.add(rows.getString(2));
            }
        }
        assertThat(uniqueIndexes).contains("aggregate_identifier,sequence_number");
    }

    @Test
    void a_second_event_for_the_same_account_version_is_refused_by_the_database() throws SQLException {
        String account = unique("guard");
        assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);
        try (Connection connection = TestDatabase.get().connect()) {
            connection.setAutoCommit(false);
            try (PreparedStatement copy = connection.prepareStatement("""
                    insert into domain_event_entry (global_index, aggregate_identifier, sequence_number, type,
                        event_identifier, meta_data, payload, payload_revision, payload_type, time_stamp)
                    select -1, aggregate_identifier, sequence_number,
                        type, gen_random_uuid()::text, meta_data, payload, payload_revision, payload_type, time_stamp
                    from domain_event_entry where aggregate_identifier = ? and sequence_number = 0
                    """)) {
                copy.setString(1, account);
                assertThatThrownBy(copy::executeUpdate).isInstanceOf(SQLException.class)
                        .satisfies(failure -> assertThat(((SQLException) failure).getSQLState()).isEqualTo("23505"));
            } finally {
                connection.rollback();
            }
        }
    }

    @Test
    void events_of_two_accounts_get_consecutive_global_indexes() throws SQLException {
        long before = maxGlobalIndex();
        String first = unique("gap-a");
        String second = unique("gap-b");
        assertCreated(ledger.openAccount(first, "EUR", 0));
        assertCreated(ledger.openAccount(second, "USD", 0));
        assertCreated(ledger.deposit(first, 100, "EUR"));
        assertCreated(ledger.deposit(second, 200, "USD"));
        assertCreated(ledger.deposit(first, 300, "EUR"));

        List<Long> indexes = new ArrayList<>();
        List<String> streams = new ArrayList<>();
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = connection.prepareStatement("""
                     select global_index, aggregate_identifier || '#' || sequence_number from domain_event_entry
                     where global_index > ? order by global_index
                     """)) {
            query.setLong(1, before);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    indexes.add(rows.getLong(1));
                    streams.add(rows.getString(2));
                }
            }
        }
        assertThat(streams).containsExactly(first + "#0", second + "#0", first + "#1", second + "#1", first + "#2");
        for (int i = 1; i < indexes.size(); i++) {
            assertThat(indexes.get(i)).as("global index after %d in %s", indexes.get(i - 1), indexes)
                    .isEqualTo(indexes.get(i - 1) + 1);
        }
        // Consecutive values alone would not tell a pooled optimizer (a block of 50 reserved in memory,
        // gaps only across nodes and restarts) from one nextval per row: the sequence itself must not be ahead.
        assertThat(sequenceLastValue()).as("the sequence's last value").isEqualTo(indexes.get(indexes.size() - 1));
    }

    @Test
    void stored_event_identifiers_are_time_ordered_so_their_unique_index_grows_at_one_end() throws SQLException {
        long before = maxGlobalIndex();
        String account = unique("v7");
        assertCreated(ledger.openAccount(account, "EUR", 0));
        for (int i = 0; i < 5; i++) {
            assertCreated(ledger.deposit(account, 100, "EUR"));
        }
        List<String> identifiers = new ArrayList<>();
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = connection.prepareStatement("""
                     select event_identifier from domain_event_entry where global_index > ? order by global_index
                     """)) {
            query.setLong(1, before);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    identifiers.add(rows.getString(1));
                }
            }
        }
        assertThat(identifiers).hasSize(6);
        long previousMillis = 0;
        for (String identifier : identifiers) {
            UUID id = UUID.fromString(identifier);
            assertThat(id.version()).as(identifier).isEqualTo(7);
            long millis = id.getMostSignificantBits() >>> 16;
            assertThat(millis).as("milliseconds of %s, in store order %s", identifier, identifiers)
                    .isGreaterThanOrEqualTo(previousMillis);
            previousMillis = millis;
        }
    }

    @Test
    void writing_events_creates_no_large_objects() throws SQLException {
        String account = unique("lob");
        assertCreated(ledger.openAccount(account, "EUR", 0));
        assertCreated(ledger.deposit(account, 100, "EUR"));
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = connection.prepareStatement("select count(*) from pg_largeobject_metadata");
             ResultSet row = query.executeQuery()) {
            row.next();
            assertThat(row.getLong(1)).isZero();
        }
    }

    @Test
    void flyway_applied_migrations_one_and_two_successfully() throws SQLException {
        Map<String, String> history = new LinkedHashMap<>();
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = connection.prepareStatement("""
                     select version, success from flyway_schema_history where version is not null
                     order by installed_rank
                     """);
             ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                history.put(rows.getString("version"), rows.getBoolean("success") ? "success" : "failed");
            }
        }
        assertThat(history).containsEntry("1", "success").containsEntry("2", "success");
        assertThat(history).doesNotContainValue("failed");
    }

    private static void assertCreated(Reply reply) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
    }

    private static long sequenceLastValue() {
        return TestDatabase.get().queryLong("select last_value from domain_event_entry_global_index_seq");
    }

    private static long maxGlobalIndex() {
        return TestDatabase.get().queryLong("select coalesce(max(global_index), 0) from domain_event_entry");
    }

    private static Map<String, String> columnTypes(String sql) throws SQLException {
        Map<String, String> types = new LinkedHashMap<>();
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = connection.prepareStatement(sql);
             ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                types.put(rows.getString(1), rows.getString(2));
            }
        }
        return types;
    }
}

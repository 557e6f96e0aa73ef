package dev.ledger.api.idempotency;

import dev.ledger.support.TestKeys;
import dev.ledger.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Optional;

/**
 * What the service has written, read straight from its tables over a connection of the test's
 * own: events per account, and idempotency inbox rows per key.
 */
final class LedgerRows {

    /** Every request of the tests comes from this client (there is no authentication yet). */
    static final String CLIENT = TestKeys.PAYMENTS_CLIENT;

    private LedgerRows() {
    }

    /** The events in the account's stream, counted in the event store itself. */
    static long events(String accountId) {
        return count("select count(*) from domain_event_entry where aggregate_identifier = ?", accountId);
    }

    /** The inbox rows stored for the test client's key: 0 or 1. */
    static long inboxRows(String idempotencyKey) {
        return count("select count(*) from idempotency_inbox where client_id = ? and idempotency_key = ?",
                CLIENT, idempotencyKey);
    }

    /** Inbox rows whose stored response mentions the text (an account id, say). */
    static long inboxRowsMentioning(String text) {
        return count("select count(*) from idempotency_inbox where position(convert_to(?, 'UTF8') in response_body) > 0",
                text);
    }

    /** The stored answer for the test client's key, as it sits in the table. */
    static Optional<StoredRow> inboxRow(String idempotencyKey) {
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = connection.prepareStatement("""
                     select request_id, fingerprint, status_code, response_headers, response_body, created_at
                     from idempotency_inbox where client_id = ? and idempotency_key = ?""")) {
            query.setString(1, CLIENT);
            query.setString(2, idempotencyKey);
            try (ResultSet row = query.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                return Optional.of(new StoredRow(row.getString(1), row.getString(2), row.getInt(3), row.getString(4),
                        row.getBytes(5), row.getTimestamp(6).toInstant().toString()));
            }
        } catch (SQLException failure) {
            throw new IllegalStateException(failure);
        }
    }

    static long count(String sql, Object... parameters) {
        return TestDatabase.get().queryLong(sql, parameters);
    }

    static int update(String sql, Object... parameters) {
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement statement = prepare(connection, sql, parameters)) {
            return statement.executeUpdate();
        } catch (SQLException failure) {
            throw new IllegalStateException(sql, failure);
        }
    }

    /** Runs statements (DDL, say) one after another in autocommit mode. */
    static void execute(String... statements) {
        try (Connection connection = TestDatabase.get().connect();
             var statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        } catch (SQLException failure) {
            throw new IllegalStateException(String.join(";\n", statements), failure);
        }
    }

    private static PreparedStatement prepare(Connection connection, String sql, Object... parameters)
            throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        for (int i = 0; i < parameters.length; i++) {
            statement.setObject(i + 1, parameters[i]);
        }
        return statement;
    }

    /** An inbox row; equal rows are byte for byte the same answer to the same request. */
    record StoredRow(String requestId, String fingerprint, int status, String headers, byte[] body,
                     String createdAt) {

        @Override
        public boolean equals(Object other) {
            return other instanceof StoredRow that && requestId.equals(that.requestId)
                    && fingerprint.equals(that.fingerprint) && status == that.status && headers.equals(that.headers)
                    && Arrays.equals(body, that.body) && createdAt.equals(that.createdAt);
        }

        @Override
        public int hashCode() {
            return requestId.hashCode();
        }
    }
}

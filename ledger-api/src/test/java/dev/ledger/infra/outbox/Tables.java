package dev.ledger.infra.outbox;

import dev.ledger.infra.account.LedgerEntry;
import dev.ledger.infra.account.LedgerEntryColumns;
import dev.ledger.infra.outbox.OutboxStore.PendingEntry;
import dev.ledger.support.TestDatabase;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Reads the outbox, the feed and the read models over a connection of the test's own, outside the
 * service's pool and outside any transaction the test holds open. Autocommit, so every query sees
 * what has committed by then.
 */
final class Tables implements AutoCloseable {

    private static final long POLL_MS = 10;

    private final Connection connection;

    private Tables(Connection connection) {
        this.connection = connection;
    }

    static Tables open() {
        try {
            return new Tables(TestDatabase.get().connect());
        } catch (SQLException failure) {
            throw new IllegalStateException(failure);
        }
    }

    /** Every row of a query, each as its column values in order; parameters may be collections (bound as text[]). */
    List<List<Object>> rows(String sql, Object... parameters) {
        return query(sql, rs -> {
            int columns = rs.getMetaData().getColumnCount();
            List<Object> row = new ArrayList<>(columns);
            for (int c = 1; c <= columns; c++) {
                row.add(rs.getObject(c));
            }
            return row;
        }, parameters);
    }

    /** Every row of a query, each read by {@code reader}; parameters as for {@link #rows}. */
    <T> List<T> query(String sql, RowReader<T> reader, Object... parameters) {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                Object parameter = parameters[i];
                if (parameter instanceof Collection<?> values) {
                    boolean numbers = !values.isEmpty() && values.iterator().next() instanceof Long;
                    Array array = connection.createArrayOf(numbers ? "bigint" : "text", values.toArray());
                    statement.setArray(i + 1, array);
                } else {
                    statement.setObject(i + 1, parameter);
                }
            }
            try (ResultSet rs = statement.executeQuery()) {
                List<T> rows = new ArrayList<>();
                while (rs.next()) {
                    rows.add(reader.read(rs));
                }
                return rows;
            }
        } catch (SQLException failure) {
            throw new IllegalStateException(sql, failure);
        }
    }

    /** The account's undelivered outbox rows by version, as a relay round would hand them to the consumer. */
    List<PendingEntry> pendingOf(String accountId) {
        return query("select id, " + LedgerEntryColumns.NAMES + " from outbox_event where account_id = ?"
                        + " and relayed_at is null order by version",
                rs -> new PendingEntry(rs.getLong(1), LedgerEntryColumns.read(rs, 2)), accountId);
    }

    /** The account's feed rows by version, as the entries they carry. */
    List<LedgerEntry> feedEntriesOf(String accountId) {
        return query("select " + LedgerEntryColumns.NAMES + " from event_feed where account_id = ? order by version",
                rs -> LedgerEntryColumns.read(rs, 1), accountId);
    }

    /** The single number a query answers (a count, a max). */
    long number(String sql, Object... parameters) {
        List<List<Object>> rows = rows(sql, parameters);
        if (rows.size() != 1 || rows.get(0).size() != 1) {
            throw new IllegalStateException("not a single value: " + sql + " -> " + rows);
        }
        Object value = rows.get(0).get(0);
        return value == null ? 0 : ((Number) value).longValue();
    }

    /** One column of a query as longs. */
    List<Long> longs(String sql, Object... parameters) {
        return rows(sql, parameters).stream().map(row -> ((Number) row.get(0)).longValue()).toList();
    }

    /** The account's feed rows as (version, position, balance_after), by version. */
    List<FeedRow> feedOf(String accountId) {
        return rows("select version, position, balance_after from event_feed where account_id = ? order by version",
                accountId).stream().map(row -> new FeedRow(((Number) row.get(0)).longValue(),
                ((Number) row.get(1)).longValue(), ((Number) row.get(2)).longValue())).toList();
    }

    /** Everything the read side holds about some accounts, for comparing before and after. */
    Snapshot snapshot(Collection<String> accountIds) {
        List<String> ids = new ArrayList<>(accountIds);
        return new Snapshot(
                rows("select * from account_balance where account_id = any(?) order by account_id", ids),
                rows("select * from event_feed where account_id = any(?) order by position", ids),
                rows("select account_id, version from projection_held where account_id = any(?)"
                        + " order by account_id, version", ids));
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // nothing to do about it at the end of a test
        }
    }

    /** Polls a condition until it holds, failing the test when it has not within {@code waitMax}. */
    static void await(Duration waitMax, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + waitMax.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + waitMax + " waiting for " + what);
            }
            LockSupport.parkNanos(POLL_MS * 1_000_000);
        }
    }

    /** Reads the current row of a result set. */
    @FunctionalInterface
    interface RowReader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    record FeedRow(long version, long position, long balanceAfter) {
    }

    /** Rows of account_balance, event_feed and projection_held, every column. */
    record Snapshot(List<List<Object>> balances, List<List<Object>> feed, List<List<Object>> held) {
    }
}

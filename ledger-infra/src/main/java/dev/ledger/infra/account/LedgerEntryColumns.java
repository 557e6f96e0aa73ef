package dev.ledger.infra.account;

import dev.ledger.infra.Pipeline;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.List;

/**
 * The columns a {@link LedgerEntry} occupies in the outbox and the feed, and how it is read from
 * and written to them.
 */
public final class LedgerEntryColumns {

    public static final String NAMES = "account_id, version, type, amount, currency, balance_after, overdraft_limit,"
            + " occurred_at, entry_id, transfer_id, reference, request_id, client_id";

    public static final String PLACEHOLDERS = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?";

    public static final int COUNT = 13;

    /**
     * Placeholders for one array per column, in the order of {@link #NAMES}: {@code unnest} over
     * them gives the rows of {@link #arrays}, whatever their number, in one statement.
     */
    public static final String ARRAY_PLACEHOLDERS = "?::text[], ?::bigint[], ?::text[], ?::bigint[], ?::text[],"
            + " ?::bigint[], ?::bigint[], ?::timestamptz[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[]";

    /**
     * The same arrays unnested in a select list, one {@code unnest} per column: the same rows as
     * {@code select * from unnest(...)} (the arrays run in step), without a function scan, which
     * stores its rows in a tuplestore first ({@link Pipeline}).
     */
    public static final String UNNESTED_ARRAYS = Pipeline.unnested("text", "bigint", "text", "bigint", "text",
            "bigint", "bigint", "timestamptz", "text", "text", "text", "text", "text");

    private LedgerEntryColumns() {
    }

    /** Reads an entry whose columns start at {@code first}, in the order of {@link #NAMES}. */
    public static LedgerEntry read(ResultSet rs, int first) throws SQLException {
        return new LedgerEntry(rs.getString(first), rs.getLong(first + 1), rs.getString(first + 2),
                nullableLong(rs, first + 3), rs.getString(first + 4), rs.getLong(first + 5),
                nullableLong(rs, first + 6), rs.getTimestamp(first + 7).toInstant(), rs.getString(first + 8),
                rs.getString(first + 9), rs.getString(first + 10), rs.getString(first + 11),
                rs.getString(first + 12));
    }

    /** Binds an entry to parameters starting at {@code first}, in the order of {@link #NAMES}. */
    public static void bind(PreparedStatement statement, int first, LedgerEntry entry) throws SQLException {
        statement.setString(first, entry.accountId());
        statement.setLong(first + 1, entry.version());
        statement.setString(first + 2, entry.type());
        setNullableLong(statement, first + 3, entry.amount());
        statement.setString(first + 4, entry.currency());
        statement.setLong(first + 5, entry.balanceAfter());
        setNullableLong(statement, first + 6, entry.overdraftLimit());
        statement.setTimestamp(first + 7, Timestamp.from(entry.occurredAt()));
        statement.setString(first + 8, entry.entryId());
        statement.setString(first + 9, entry.transferId());
        statement.setString(first + 10, entry.reference());
        statement.setString(first + 11, entry.requestId());
        statement.setString(first + 12, entry.clientId());
    }

    /** The entries as one array per column, in the order of {@link #NAMES}, for {@link #ARRAY_PLACEHOLDERS}. */
    public static Object[] arrays(List<LedgerEntry> entries) {
        return new Object[] {
            Pipeline.texts(entries, LedgerEntry::accountId), Pipeline.longs(entries, LedgerEntry::version),
            Pipeline.texts(entries, LedgerEntry::type), Pipeline.longs(entries, LedgerEntry::amount),
            Pipeline.texts(entries, LedgerEntry::currency), Pipeline.longs(entries, LedgerEntry::balanceAfter),
            Pipeline.longs(entries, LedgerEntry::overdraftLimit), Pipeline.texts(entries, entry -> entry.occurredAt().toString()),
            Pipeline.texts(entries, LedgerEntry::entryId), Pipeline.texts(entries, LedgerEntry::transferId),
            Pipeline.texts(entries, LedgerEntry::reference), Pipeline.texts(entries, LedgerEntry::requestId),
            Pipeline.texts(entries, LedgerEntry::clientId)};
    }

    /** Adds to {@code pipeline} the insert of every entry into {@code table}, as one statement. */
    public static void insertAll(Pipeline pipeline, String table, List<LedgerEntry> entries) {
        pipeline.write(insertSql(table), entries.size(), arrays(entries));
    }

    /** The insert of {@link #insertAll}: one array per column, in the order of {@link #NAMES}. */
    public static String insertSql(String table) {
        return "insert into " + table + " (" + NAMES + ") select " + UNNESTED_ARRAYS;
    }

    private static Long nullableLong(ResultSet rs, int index) throws SQLException {
        long value = rs.getLong(index);
        return rs.wasNull() ? null : value;
    }

    private static void setNullableLong(PreparedStatement statement, int index, Long value) throws SQLException {
        if (value == null) {
            statement.setNull(index, Types.BIGINT);
        } else {
            statement.setLong(index, value);
        }
    }
}

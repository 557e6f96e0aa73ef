package dev.ledger.api.readmodel;

import dev.ledger.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** What the service has written, read (and, for fault injection, changed) over a connection of the test's own. */
final class Rows {

    private Rows() {
    }

    static long count(String sql, Object... parameters) {
        List<List<Object>> rows = query(sql, parameters);
        return ((Number) rows.get(0).get(0)).longValue();
    }

    /** Every row as a list of its column values, in the query's order. */
    static List<List<Object>> query(String sql, Object... parameters) {
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = prepare(connection, sql, parameters);
             ResultSet rows = query.executeQuery()) {
            ResultSetMetaData meta = rows.getMetaData();
            List<List<Object>> result = new ArrayList<>();
            while (rows.next()) {
                List<Object> row = new ArrayList<>(meta.getColumnCount());
                for (int column = 1; column <= meta.getColumnCount(); column++) {
                    row.add(rows.getObject(column));
                }
                result.add(row);
            }
            return result;
        } catch (SQLException failure) {
            throw new IllegalStateException(sql, failure);
        }
    }

    /** Every row rendered as text, column by column; for comparing whole tables. */
    static List<String> dump(String sql, Object... parameters) {
        return query(sql, parameters).stream().map(Object::toString).toList();
    }

    static int update(String sql, Object... parameters) {
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement statement = prepare(connection, sql, parameters)) {
            return statement.executeUpdate();
        } catch (SQLException failure) {
            throw new IllegalStateException(sql, failure);
        }
    }

    /** Runs DDL statements one after another, each in its own autocommit transaction. */
    static void execute(String... statements) {
        try (Connection connection = TestDatabase.get().connect(); Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        } catch (SQLException failure) {
            throw new IllegalStateException(String.join("; ", statements), failure);
        }
    }

    /** Runs every statement even if some fail (cleanup in a finally block); reports the first failure. */
    static void executeAll(String... statements) {
        IllegalStateException first = null;
        for (String sql : statements) {
            try {
                execute(sql);
            } catch (IllegalStateException failure) {
                if (first == null) {
                    first = failure;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** A SQL string literal, for the DDL of injected triggers (which cannot take parameters). */
    static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }

    /** A fresh lower-case SQL identifier, so injected objects of different tests never collide. */
    static String identifier(String prefix) {
        return prefix + "_" + java.util.UUID.randomUUID().toString().replace("-", "");
    }

    private static PreparedStatement prepare(Connection connection, String sql, Object... parameters)
            throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        for (int i = 0; i < parameters.length; i++) {
            statement.setObject(i + 1, parameters[i]);
        }
        return statement;
    }
}

package dev.ledger.infra;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntConsumer;
import java.util.stream.Collectors;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowCallbackHandler;
import org.springframework.jdbc.core.SqlTypeValue;
import org.springframework.jdbc.core.StatementCreatorUtils;

/**
 * Several statements sent to PostgreSQL in one round trip, on the current transaction's
 * connection: the driver sends them together (one prepared statement holding several, with its
 * parameters numbered across them) and the server runs them one after the other, in order, each
 * as a statement of its own. The server binds a statement, and so takes the snapshot it reads
 * with, only after the statement before it has finished: in READ COMMITTED a read placed after a
 * lock sees everything committed before the lock was granted, exactly as if it had been sent
 * alone after the lock came back. A statement that fails ends the pipeline (the transaction is
 * then aborted) and its error is thrown; the statements after it do not run.
 *
 * <p>Worth it on the hot paths, where every round trip costs two wake-ups on a busy machine (the
 * server's process and the calling thread), and under load each can wait for a core.
 *
 * <p>The statements of the write path's last round trip (and the last versions read by a start of
 * its own) take their rows from arrays unnested in a select list
 * ({@code select unnest(?::text[]), unnest(?::bigint[])}; the arrays run in step), not from
 * {@code unnest(...)} in a from clause: PostgreSQL runs a function in a from clause into a
 * tuplestore first, whose first 16 kB block the server's allocator takes from the top of its heap
 * and, once the statement ends, gives back to the system. With the write path's plans made once
 * per connection, the writer's server process grew and shrank its heap so 117 times a second at
 * 8 connections and 290 at one (strace), and every shrink flushed the process's TLB entries on both
 * cores: 16 % of that process's CPU samples at one connection (perf).
 */
public final class Pipeline {

    /** More statements than this in one pipeline is a mistake, not a plan. */
    static final int STEPS_MAX = 16;

    private final List<Step> steps = new ArrayList<>();

    /** A statement whose rows go to {@code rows}, one call per row. */
    public Pipeline query(String sql, RowCallbackHandler rows, Object... args) {
        return add(new Step(sql, args, rows, null));
    }

    /** A statement whose row count goes to {@code count}. */
    public Pipeline update(String sql, IntConsumer count, Object... args) {
        return add(new Step(sql, args, null, count));
    }

    /**
     * A statement that must write exactly {@code rows} rows: any other count throws an
     * {@link IllegalStateException} once the round trip has come back. That is after every
     * statement of the pipeline has run, a {@code commit} among them included: for a statement
     * whose count can differ without an error (an update, an insert that skips conflicts) in a
     * pipeline that may commit, check the count in the statement instead (with
     * {@code ledger_expect}), so that the server stops the pipeline before its commit.
     */
    public Pipeline write(String sql, int rows, Object... args) {
        int position = steps.size() + 1;
        return update(sql, count -> {
            if (count != rows) {
                throw new IllegalStateException("statement " + position + " wrote " + count + " rows, not " + rows);
            }
        }, args);
    }

    /** A statement whose result, if any, is not needed (a {@code set local}, a lock). */
    public Pipeline execute(String sql, Object... args) {
        return add(new Step(sql, args, null, null));
    }

    /** Adds the statements of {@code more} after these, in their order. */
    public Pipeline append(Pipeline more) {
        more.steps.forEach(this::add);
        return this;
    }

    /**
     * A select list of one {@code unnest(?::type[])} per type given, in order: arrays unnested in
     * step, as the write path's statements take their rows (see above).
     */
    public static String unnested(String... types) {
        return Arrays.stream(types).map(type -> "unnest(?::" + type + "[])").collect(Collectors.joining(", "));
    }

    /** One column of {@code rows} as a text array, for a statement that {@code unnest}s it. */
    public static <T> String[] texts(List<T> rows, Function<T, String> value) {
        return rows.stream().map(value).toArray(String[]::new);
    }

    /** One column of {@code rows} as a bigint array (nulls kept), for a statement that {@code unnest}s it. */
    public static <T> Long[] longs(List<T> rows, Function<T, Long> value) {
        return rows.stream().map(value).toArray(Long[]::new);
    }

    /** Runs the statements in one round trip, in order, handing each one's result to its handler. */
    public void run(JdbcTemplate jdbc) {
        if (steps.isEmpty()) {
            return;
        }
        StringBuilder sql = new StringBuilder();
        for (Step step : steps) {
            if (step.sql().indexOf(';') >= 0) {
                throw new IllegalArgumentException("one statement per step: " + step.sql());
            }
            sql.append(sql.isEmpty() ? "" : ";\n").append(step.sql());
        }
        jdbc.execute(sql.toString(), (PreparedStatement statement) -> {
            int index = 1;
            for (Step step : steps) {
                for (Object arg : step.args()) {
                    StatementCreatorUtils.setParameterValue(statement, index++, SqlTypeValue.TYPE_UNKNOWN, arg);
                }
            }
            statement.execute();
            for (int i = 0; i < steps.size(); i++) {
                if (i > 0) {
                    statement.getMoreResults();
                }
                handle(statement, steps.get(i), i);
            }
            if (statement.getMoreResults() || statement.getUpdateCount() != -1) {
                throw new IllegalStateException("a pipeline of " + steps.size() + " statements returned more results");
            }
            return null;
        });
    }

    private static void handle(PreparedStatement statement, Step step, int position) throws SQLException {
        try (ResultSet rows = statement.getResultSet()) {
            if (rows != null) {
                if (step.count() != null) {
                    throw new IllegalStateException("statement " + (position + 1) + " returned rows, not a count");
                }
                while (rows.next()) {
                    if (step.rows() != null) {
                        step.rows().processRow(rows);
                    }
                }
                return;
            }
        }
        int count = statement.getUpdateCount();
        if (count == -1) {
            throw new IllegalStateException("statement " + (position + 1) + " returned no result");
        }
        if (step.rows() != null) {
            throw new IllegalStateException("statement " + (position + 1) + " returned a count, not rows");
        }
        if (step.count() != null) {
            step.count().accept(count);
        }
    }

    private Pipeline add(Step step) {
        if (steps.size() >= STEPS_MAX) {
            throw new IllegalStateException("a pipeline holds at most " + STEPS_MAX + " statements");
        }
        steps.add(step);
        return this;
    }

    private record Step(String sql, Object[] args, RowCallbackHandler rows, IntConsumer count) {
    }
}

package dev.ledger.infra.outbox;

import dev.ledger.infra.Pipeline;
import dev.ledger.infra.TransactionBuffer;
import dev.ledger.infra.account.LedgerEntry;
import dev.ledger.infra.account.LedgerEntryColumns;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.stereotype.Repository;

/** The outbox table and the relay's dead letters. */
@Repository
public class OutboxStore {

    /** Advisory lock (two-int key space) held by the one relay round running at a time. */
    static final int LOCK_CLASS = 0x1ed9e7;
    static final int RELAY_LOCK = 1;

    private static final String COLUMNS = LedgerEntryColumns.NAMES;

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final RelaySignal signal;
    /** The key of a round's buffer of delivered rows to delete. */
    private final Object removals = new Object();

    OutboxStore(JdbcTemplate jdbc, Clock clock, RelaySignal signal) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.signal = signal;
    }

    /**
     * Writes the entries in the caller's transaction and wakes the relay once it commits. The rows
     * of a whole transaction (a group commit may append for many writes) go in as one statement
     * just before it commits, in the order they were appended.
     */
    void append(List<LedgerEntry> entries) {
        TransactionBuffer.<List<LedgerEntry>>of(this, ArrayList::new, this::insertAll, signal::wake, jdbc)
                .addAll(entries);
    }

    /** Adds the insert of the buffered rows, one statement for all of them, and empties the buffer. */
    private void insertAll(List<LedgerEntry> entries, Pipeline pipeline) {
        if (!entries.isEmpty()) {
            requireOneRowPerRequestOutsideTransfers(entries);
            LedgerEntryColumns.insertAll(pipeline, "outbox_event", entries);
            entries.clear();
        }
    }

    /**
     * The relay keeps a request's rows together only where they carry a transfer id: the request
     * index holds a transfer's legs only (V15), and the pending query probes the request of those
     * rows only. A request that wrote two rows without one would have them delivered as two
     * requests, in rounds of their own, so it is refused here, with its transaction. All the rows
     * of a request are written by its one transaction, so its rows are all in {@code entries}.
     */
    static void requireOneRowPerRequestOutsideTransfers(List<LedgerEntry> entries) {
        if (entries.size() < 2) {
            return;
        }
        Set<String> requests = new HashSet<>();
        for (LedgerEntry entry : entries) {
            if (entry.transferId() == null && entry.requestId() != null && !requests.add(entry.requestId())) {
                throw new IllegalStateException("request " + entry.requestId()
                        + " wrote more than one outbox row without a transfer id");
            }
        }
    }

    /** Tries the relay's advisory lock for the rest of the transaction: one round at a time. */
    private static final String TRY_RELAY_LOCK_SQL = "select pg_try_advisory_xact_lock(?, ?)";

    /** Tries the relay lock for the current transaction; false when another relay round holds it. */
    boolean tryRelayLock() {
        return Boolean.TRUE.equals(jdbc.queryForObject(TRY_RELAY_LOCK_SQL, Boolean.class, LOCK_CLASS, RELAY_LOCK));
    }

    /**
     * Planner settings for the pending query, for the rest of the round's transaction: walk the
     * outbox's primary key in id order (it holds pending rows only) and stop at the batch's end.
     * Left to itself, with statistics older than a burst (a fresh table, a seed, a backlog), the
     * planner reads every pending row and sorts them, so each round costs more the further the
     * relay falls behind. Sequential scans and bitmap scans are off, and so are sorts: with
     * statistics that call the outbox empty (its usual state since V8) the planner walked the
     * whole request index and sorted what it read (22,000 rows for a round of 50 in a full test
     * run); every plan of the round needs its final sort, so only such extra sorts are ruled out.
     *
     * <p>Planned afresh for every round: the relay's connection runs the same statement for hours,
     * and PostgreSQL's plan cache keeps a generic plan made once, while the table was small. Such a
     * plan probed each candidate's request by walking every pending row; without autovacuum (off
     * on this project's CI machines) no ANALYZE ever replaced it, and while seeding a round outran
     * the 15 s socket timeout. Planning a round took 0.3-1.1 ms here.
     *
     * <p>All five are set by one statement ({@code set_config(..., true)} is {@code set local}), which
     * first keeps each one's value for {@link #RESET_PLAN_SETTINGS}.
     *
     * <p>And no JIT compilation: the planner prices the per-row probes over every pending row it
     * believes in, so behind a backlog of a few hundred thousand rows the estimate passes
     * {@code jit_optimize_above_cost} and each round spent 200-250 ms compiling (with LLVM, on
     * the database's CPU) a plan that then ran in 3-6 ms.
     */
    static final String PENDING_PLAN_SETTINGS;

    /**
     * The planner settings back to what they were before {@link #PENDING_PLAN_SETTINGS}, for the rest
     * of the round's transaction: the consumer's statements that follow in it plan as anywhere else.
     * {@code PENDING_PLAN_SETTINGS} keeps each setting's value in a placeholder setting of this
     * transaction ({@code ledger.saved_<name>}) before it changes it; reading {@code pg_settings}
     * instead took 0.35 ms, more than the pending query.
     */
    static final String RESET_PLAN_SETTINGS;

    static {
        Map<String, String> settings = new TreeMap<>(Map.of("enable_bitmapscan", "off", "enable_seqscan", "off",
                "enable_sort", "off", "jit", "off", "plan_cache_mode", "force_custom_plan"));
        PENDING_PLAN_SETTINGS = settings.entrySet().stream()
                .map(e -> "set_config('ledger.saved_" + e.getKey() + "', current_setting('" + e.getKey() + "'), true)"
                        + " || set_config('" + e.getKey() + "', '" + e.getValue() + "', true)")
                .collect(Collectors.joining(", ", "select ", ""));
        RESET_PLAN_SETTINGS = settings.keySet().stream()
                .map(name -> "set_config('" + name + "', current_setting('ledger.saved_" + name + "'), true)")
                .collect(Collectors.joining(", ", "select ", ""));
    }

    /**
     * The pending query: the oldest undelivered rows of accounts not parked, nor sharing a request
     * with a parked account's undelivered row (at most the limit), then every undelivered row of the
     * same requests (both legs of a transfer). Each step is an index probe per row, so a round reads
     * about twice its batch however long the backlog and however many accounts are parked.
     */
    static final String PENDING_SQL = """
            with head as materialized (
                select o.id, o.request_id, o.transfer_id from outbox_event o
                -- Walks the primary key in id order (the outbox holds pending rows only, V8 and
                -- V14). The request probes below use the request index, which holds a transfer's
                -- legs only (V15): only they share a request, and only their probes say so.
                where o.relayed_at is null
                  -- Scalar subqueries, not EXISTS or a join: PostgreSQL can then only probe, for
                  -- each candidate, its account and its request's rows (and their accounts) by
                  -- index, never read every parked account, or all their rows, per candidate.
                  and (select true from relay_dead_letter d
                       where d.account_id = o.account_id and d.released_at is null) is null
                  and (o.request_id is null or o.transfer_id is null or (
                      select count(*) from outbox_event g
                      where g.request_id = o.request_id and g.relayed_at is null and g.transfer_id is not null
                        and (select true from relay_dead_letter d
                             where d.account_id = g.account_id and d.released_at is null)) = 0)
                order by o.id
                limit ?)
            -- "= any(array(...))", not "in (select ...)": each branch is then an index probe per
            -- id or request whatever the statistics say. With "in", statistics of an empty outbox
            -- (the usual state since V8) made the planner loop over every pending row per candidate.
            select id, %1$s from outbox_event o
            where o.id = any(array(select id from head))
            union
            select id, %1$s from outbox_event o
            where o.relayed_at is null and o.transfer_id is not null
              and o.request_id = any(array(select request_id from head
                                           where request_id is not null and transfer_id is not null))
            order by id""".formatted(COLUMNS);

    /**
     * Whether any account is parked: while none is, {@link #HEAD_SQL} answers what {@link #PENDING_SQL}
     * would. Only a relay round parks an account, under the relay lock, so the answer holds for the
     * rest of the round; a release only makes it more careful than needed.
     */
    static final String PARKED_SQL = "select exists (select 1 from relay_dead_letter where released_at is null)";

    /**
     * The common round's pending query, while no account is parked: the oldest undelivered rows, at
     * most the limit. When it reads fewer than the limit it has read every row visible to it, so
     * every request among them is complete (a request's rows commit together): the rows
     * {@link #PENDING_SQL} would give, without its per-row probes of the dead letters and of each
     * row's request. Those probes, and planning them, were most of a common round's pending query:
     * planned in 0.16-0.27 ms and run in 0.2-0.37 ms for 20 rows, against 0.05 ms and 0.01 ms for
     * this one (EXPLAIN ANALYZE, warm session); in a profile of the relay's server process under
     * load, planning the full query's CTE and running its subplans took 9.8 % and 8.0 % of the
     * samples, and 0 % and 1.9 % with this one (perf, round 16). Planned under the same settings
     * ({@link #PENDING_PLAN_SETTINGS}), so it walks the primary key and stops at the limit.
     */
    static final String HEAD_SQL = """
            select id, %1$s from outbox_event o
            where o.relayed_at is null
            order by o.id
            limit ?""".formatted(COLUMNS);

    /**
     * Undelivered rows, oldest first, completed with every row committed by the same request (both
     * legs of a transfer travel together), and leaving out requests that touch an account parked
     * behind a failed delivery. Rows are never skipped by position: a row whose transaction
     * commits late is simply pending until it is visible, and then it is the oldest pending row of
     * its account. Called in the round's transaction (the planner settings last until it ends).
     */
    List<PendingEntry> pending(int limit) {
        return readPending(new Pipeline(), limit, () -> true, null);
    }

    /**
     * A round's start in one round trip: tries the relay lock and, in statements of their own after
     * it, reads the {@link #pending} rows; null when another round holds the lock (what was read is
     * then dropped: a wasted read, bounded by the batch, only while rounds contend).
     */
    List<PendingEntry> lockAndReadPending(int limit) {
        boolean[] locked = {false};
        List<PendingEntry> rows = readPending(
                new Pipeline().query(TRY_RELAY_LOCK_SQL, rs -> locked[0] = rs.getBoolean(1), LOCK_CLASS, RELAY_LOCK),
                limit, () -> locked[0], null);
        return locked[0] ? rows : null;
    }

    /**
     * {@link #lockAndReadPending(int)}, with a consumer's statements in the same round trip, after
     * the head read and under its planner settings (but the plan cache's, see {@link #read}):
     * {@code alongside} adds them, given the statement that selects the accounts of the head's rows
     * ({@link PendingAccounts}), for a consumer that reads its own state of those accounts without a
     * round trip of its own. They run whether or not the relay lock was granted, and whichever way
     * the rows are then read: what they read holds for the rows returned only where their account is
     * among the accounts they saw.
     */
    List<PendingEntry> lockAndReadPending(int limit, BiConsumer<Pipeline, PendingAccounts> alongside) {
        boolean[] locked = {false};
        Pipeline first = new Pipeline().query(TRY_RELAY_LOCK_SQL, rs -> locked[0] = rs.getBoolean(1), LOCK_CLASS,
                RELAY_LOCK);
        List<PendingEntry> rows = readPending(first, limit, () -> locked[0],
                pipeline -> alongside.accept(pipeline, new PendingAccounts(PENDING_ACCOUNTS_SQL, limit)));
        return locked[0] ? rows : null;
    }

    /**
     * The accounts of the oldest undelivered rows, at most the limit (its one parameter): the accounts
     * of {@link #HEAD_SQL}'s rows, each once, when it reads them in the same transaction with nothing
     * committed in between. A row committed in between, with a lower id, can push one of the head's
     * rows past the limit, and with it its account; a consumer checks that every account it needs
     * is there. Planned under {@link #PENDING_PLAN_SETTINGS}: it walks the primary key and stops at
     * the limit.
     */
    static final String PENDING_ACCOUNTS_SQL = """
            select h.account_id from (
                select o.account_id from outbox_event o
                where o.relayed_at is null
                order by o.id
                limit ?) h
            group by h.account_id""";

    /**
     * A statement a consumer may use as a subquery (in parentheses), one row per account (its
     * {@code account_id} column), and the argument of its one parameter.
     */
    public record PendingAccounts(String sql, int limit) {
    }

    /**
     * Runs {@code pipeline} with the common round's reads after it ({@link #PARKED_SQL}, then
     * {@link #HEAD_SQL}), and answers the head when it stands for {@link #PENDING_SQL}: no account
     * parked and fewer rows than the limit. Otherwise (an account parked, or a full head, where a
     * request's other rows may lie past the limit) it reads again with {@code PENDING_SQL}, in a
     * round trip of its own: a backlog's rounds, or a parked account's, pay for both reads. Not
     * when {@code wanted} says after the first round trip that the rows will be dropped (the relay
     * lock not granted).
     */
    private List<PendingEntry> readPending(Pipeline pipeline, int limit, BooleanSupplier wanted,
                                           Consumer<Pipeline> alongside) {
        boolean[] parked = {true};
        List<PendingEntry> rows = new ArrayList<>();
        read(pipeline.query(PARKED_SQL, rs -> parked[0] = rs.getBoolean(1)), HEAD_SQL, limit, rows, alongside)
                .run(jdbc);
        if (!parked[0] && rows.size() < limit || !wanted.getAsBoolean()) {
            return rows;
        }
        rows.clear();
        read(new Pipeline(), PENDING_SQL, limit, rows, null).run(jdbc);
        return rows;
    }

    /**
     * Adds a pending-rows query to {@code pipeline}, between the planner settings and their reset,
     * and after it, before the reset, what {@code alongside} adds (if not null), with the plan cache
     * back to its own setting: those statements are planned under the other settings, which
     * hold whenever they run, and their plans may be kept (planning the read models' read afresh
     * took 0.1 ms of the server's time per round, more than running it).
     */
    private static Pipeline read(Pipeline pipeline, String sql, int limit, List<PendingEntry> rows,
                                 Consumer<Pipeline> alongside) {
        pipeline.execute(PENDING_PLAN_SETTINGS)
                .query(sql, rs -> rows.add(PENDING.mapRow(rs, rows.size())), limit);
        if (alongside != null) {
            alongside.accept(pipeline.execute(RESET_PLAN_CACHE_MODE));
        }
        return pipeline.execute(RESET_PLAN_SETTINGS);
    }

    /** The plan cache's setting back to what it was before {@link #PENDING_PLAN_SETTINGS}. */
    static final String RESET_PLAN_CACHE_MODE =
            "select set_config('plan_cache_mode', current_setting('ledger.saved_plan_cache_mode'), true)";

    /**
     * Removes delivered rows, in the round's transaction, when it commits: the delete goes in the
     * round's last round trip ({@link TransactionBuffer}; with its commit, see {@link #commitWithRows}). A
     * delivered row is not needed any more: the feed and the read models hold what it carried (the
     * feed also when it was delivered), the event store holds the event, and the relay and the
     * reconciliation only look at rows not delivered yet. Deleting costs the server less than
     * marking did (since V8): marking wrote a new version of the row and an entry in each of its
     * indexes, and a purge deleted it later.
     */
    void removeDelivered(List<Long> ids) {
        if (ids.isEmpty()) {
            return;
        }
        TransactionBuffer.<List<Long>>of(removals, ArrayList::new, OutboxStore::removeAll, () -> { }, jdbc)
                .addAll(ids);
    }

    /**
     * Goes before {@link #REMOVE_SQL}: the delete probes the primary key for each id instead of
     * reading the whole table. Left to itself, with the statistics a vacuum leaves (the table's pages,
     * which delivered rows keep bloating until the next vacuum, and the few rows pending then), the
     * planner chose a sequential scan for every round: 963 pages read to delete 20 rows, a quarter
     * of the relay's server process's CPU at 4,000 deposits/s (perf, round 14). The setting lasts
     * until the transaction ends; only the commit follows the delete.
     */
    static final String REMOVE_BY_KEY = "select set_config('enable_seqscan', 'off', true)";

    /** Removes delivered rows by id. */
    static final String REMOVE_SQL = "delete from outbox_event where id = any(?)";

    /** Adds the statements that remove the delivered rows {@code ids} to the pipeline, and empties {@code ids}. */
    static void removeAll(List<Long> ids, Pipeline pipeline) {
        if (!ids.isEmpty()) {
            pipeline.execute(REMOVE_BY_KEY).execute(REMOVE_SQL, (Object) ids.toArray(Long[]::new));
            ids.clear();
        }
    }

    /**
     * Makes the current relay round's last round trip carry its commit, after its buffered rows
     * ({@link TransactionBuffer#commitWithRows}); for the round, which started the transaction.
     */
    void commitWithRows() {
        TransactionBuffer.commitWithRows(jdbc);
    }

    /** Parks an account behind its failed event; its later events wait until it is retried. */
    void park(String accountId, long version, String error) {
        jdbc.update("""
                insert into relay_dead_letter (account_id, version, error, attempts, parked_at)
                values (?, ?, ?, 1, ?)
                on conflict (account_id) do update
                    set version = excluded.version, error = excluded.error,
                        attempts = relay_dead_letter.attempts + 1, parked_at = excluded.parked_at,
                        released_at = null
                """, accountId, version, truncate(error), Timestamp.from(clock.instant()));
    }

    public List<DeadLetter> deadLetters(int limit) {
        return jdbc.query("select account_id, version, error, attempts, parked_at from relay_dead_letter"
                        + " where released_at is null order by parked_at, account_id limit ?",
                (rs, row) -> new DeadLetter(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getInt(4),
                        rs.getTimestamp(5).toInstant()), limit);
    }

    /** Releases a parked account so the relay delivers its events again, from the failed one on. */
    public boolean release(String accountId) {
        boolean released = jdbc.update("update relay_dead_letter set released_at = ? where account_id = ?"
                + " and released_at is null", Timestamp.from(clock.instant()), accountId) > 0;
        if (released) {
            signal.wake();
        }
        return released;
    }

    public long deadLetterCount() {
        Long count = jdbc.queryForObject("select count(*) from relay_dead_letter where released_at is null",
                Long.class);
        return count == null ? 0 : count;
    }

    public long backlog() {
        Long count = jdbc.queryForObject("select count(*) from outbox_event where relayed_at is null", Long.class);
        return count == null ? 0 : count;
    }

    /** Seconds since the oldest undelivered row was written; 0 when nothing waits. */
    public double backlogAgeSeconds() {
        Double age = jdbc.queryForObject("select coalesce(extract(epoch from (now() - min(created_at))), 0)"
                + " from outbox_event where relayed_at is null", Double.class);
        return age == null ? 0 : age;
    }

    private static String truncate(String error) {
        String text = error == null ? "unknown failure" : error;
        return text.length() <= 1000 ? text : text.substring(0, 1000);
    }

    private static final RowMapper<PendingEntry> PENDING =
            (rs, row) -> new PendingEntry(rs.getLong(1), LedgerEntryColumns.read(rs, 2));

    /** An outbox row waiting for delivery. */
    public record PendingEntry(long id, LedgerEntry entry) {
    }

    /** An account parked behind the delivery that failed. */
    public record DeadLetter(String accountId, long version, String error, int attempts, java.time.Instant parkedAt) {
    }
}

package dev.ledger.infra.projection;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.infra.Pipeline;
import dev.ledger.infra.TransactionBuffer;
import dev.ledger.infra.account.LedgerEntry;
import dev.ledger.infra.account.LedgerEntryColumns;
import dev.ledger.infra.outbox.OutboxStore.PendingAccounts;
import dev.ledger.infra.outbox.OutboxStore.PendingEntry;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Timestamp;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The consumer of relayed events: appends them to the global feed and applies them to the read
 * model (balances), all in one transaction per delivery so that a feed position and the
 * balances it produced are always seen together.
 *
 * <p>Its inbox is each account's last applied version ({@code account_balance.version}): only
 * the next version is applied; an older one is a duplicate and is dropped, a newer one arrived
 * ahead of its predecessor and is held until the predecessor comes. Both are counted. The rows of
 * one command (both legs of a transfer) are applied as one unit under a savepoint: a failure rolls
 * back that unit only and is reported, so the relay parks the failing account while every other
 * account goes on.
 */
@Component
public class LedgerProjector {

    static final int LOCK_CLASS = 0x1ed9e7;
    static final int PROJECTOR_LOCK = 2;

    /** The most held events drained for one account after each applied event. */
    static final int HELD_DRAIN_MAX = 1000;

    private final JdbcTemplate jdbc;
    private final TransactionTemplate ownTransaction;
    private final DataSource dataSource;
    private final ObjectMapper json;
    private final ProjectionMetrics metrics;
    private final Clock clock;
    /** The key of a transaction's buffered delivery rows (when the delivery joins a relay round's). */
    private final Object writes = new Object();

    LedgerProjector(JdbcTemplate jdbc, DataSource dataSource, PlatformTransactionManager transactions,
                    @Qualifier("defaultAxonObjectMapper") ObjectMapper json, ProjectionMetrics metrics, Clock clock) {
        this.jdbc = jdbc;
        this.ownTransaction = new TransactionTemplate(transactions);
        this.ownTransaction.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        this.dataSource = dataSource;
        this.json = json;
        this.metrics = metrics;
        this.clock = clock;
    }

    /**
     * Delivers a batch in a transaction of its own, which commits before this returns.
     *
     * @return the outbox ids now delivered, and the accounts whose delivery failed
     */
    public Delivery deliver(List<PendingEntry> batch) {
        // When the events applied were accepted, for the lag: recorded once their delivery has committed.
        List<Instant> accepted = new ArrayList<>(batch.size());
        Delivery atOnce;
        try {
            atOnce = ownTransaction.execute(status -> {
                TransactionBuffer.commitWithRows(jdbc);
                Delivery delivered = deliverAtOnce(batch, accepted, null);
                if (delivered == null) {
                    status.setRollbackOnly();
                }
                return delivered;
            });
        } catch (RuntimeException failure) {
            // Rolled back, nothing of it kept: the careful path below finds and isolates the failure.
            atOnce = null;
        }
        if (atOnce == null) {
            metrics.carefulDelivery();
            accepted.clear();
            atOnce = deliverUnitByUnit(batch, accepted);
        }
        applied(accepted);
        return atOnce;
    }

    /**
     * Delivers a batch in the caller's transaction (a relay round's), the common way only (see
     * {@link #deliverAtOnce}): its rows are written in the transaction's last round trip, with
     * whatever else it buffered and its commit ({@link TransactionBuffer}), so the round's removal of
     * the delivered rows from the outbox commits with them. Answers null, having written nothing,
     * when the batch cannot go that way; a row that fails at the commit fails the caller's
     * transaction. Either way the caller rolls back and hands the batch to {@link #deliver}, whose
     * careful path finds and isolates what failed.
     *
     * @param accepted receives when each applied event was accepted: pass it to {@link #applied}
     *                 once the caller's transaction has committed
     */
    public Delivery deliverInCurrentTransaction(List<PendingEntry> batch, List<Instant> accepted) {
        return deliverAtOnce(batch, accepted, null);
    }

    /**
     * {@link #deliverInCurrentTransaction(List, List)}, with the read models as the round's first
     * round trip read them ({@link #readAlongside}): when they serve the batch, the delivery reads
     * nothing itself, and the round has two round trips, not three.
     */
    public Delivery deliverInCurrentTransaction(List<PendingEntry> batch, List<Instant> accepted,
                                                ReadAlongside alongside) {
        return deliverAtOnce(batch, accepted, alongside);
    }

    /**
     * Adds to a relay round's first round trip, after its read of the pending rows, the reads a
     * delivery at once makes before it applies them (see {@link #deliverAtOnce}): the consumer's
     * lock, tried (a lock held elsewhere, by a rebuild or another relay's round, is then waited for
     * in the delivery's own round trip, as without this), then, each a statement of its own seeing
     * what committed before it, the feed's last position and, for each account of {@code accounts},
     * its balance and whether it has held events. They serve a batch whose accounts are all among
     * those read, and only if the lock was granted; otherwise the delivery reads them itself.
     * Whatever round the first round trip belongs to, and whether it gets its own lock or not, the
     * consumer's lock taken here lasts to the end of its transaction.
     */
    public ReadAlongside readAlongside(Pipeline pipeline, PendingAccounts accounts) {
        ReadAlongside read = new ReadAlongside();
        pipeline.query("select pg_try_advisory_xact_lock(?, ?)", rs -> read.locked = rs.getBoolean(1), LOCK_CLASS,
                PROJECTOR_LOCK);
        read.readAfterTheLock(pipeline, accounts.sql(), accounts.limit());
        return read;
    }

    /**
     * The read models of a batch's accounts, read now in a round trip of their own: the consumer's
     * lock, waited for, then (each a statement of its own, seeing what committed before the lock
     * was granted) what {@link #readAlongside} reads.
     */
    private ReadAlongside readNow(String[] accountIds) {
        ReadAlongside read = new ReadAlongside();
        read.locked = true;
        read.readAfterTheLock(new Pipeline().execute("select pg_advisory_xact_lock(?, ?)", LOCK_CLASS,
                PROJECTOR_LOCK), "select unnest(?::text[]) as account_id", (Object) accountIds).run(jdbc);
        return read;
    }

    /**
     * The read models as a relay round's first round trip read them ({@link #readAlongside}), for
     * the delivery of that round's batch, or as a delivery reads them itself ({@link #readNow}).
     */
    public static final class ReadAlongside {

        private boolean locked;
        private long lastPosition;
        /** The accounts read, whether or not they have a balance yet. */
        private final Set<String> accounts = new HashSet<>();
        private final Map<String, Balance> balances = new HashMap<>();
        private final Set<String> held = new HashSet<>();
        private boolean used;

        /**
         * Adds the reads to {@code pipeline}, after its lock statement: the feed's last position, and
         * the balance and held events of each account {@code accountsSql} (a statement with one
         * parameter, {@code accountsArg}) selects. The balance rows are not locked: every writer of
         * the read models takes the consumer's lock first and holds it to its commit, and the
         * delivery's update still requires the version read. (Locking them cost the server a WAL
         * record per account per round: at 100 accounts, one for almost every deposit.)
         */
        private Pipeline readAfterTheLock(Pipeline pipeline, String accountsSql, Object accountsArg) {
            return pipeline.query(LAST_POSITION_SQL, rs -> lastPosition = rs.getLong(1))
                    .query("""
                            select a.account_id, b.version, b.balance, b.currency, b.overdraft_limit,
                                   exists (select 1 from projection_held h where h.account_id = a.account_id)
                            from (%s) a
                            left join account_balance b on b.account_id = a.account_id""".formatted(accountsSql),
                            rs -> {
                                String accountId = rs.getString(1);
                                accounts.add(accountId);
                                long version = rs.getLong(2);
                                if (!rs.wasNull()) {
                                    balances.put(accountId, new Balance(version, rs.getLong(3), rs.getString(4),
                                            rs.getLong(5), 0));
                                }
                                if (rs.getBoolean(6)) {
                                    held.add(accountId);
                                }
                            }, accountsArg);
        }

        private boolean serves(String[] accountIds) {
            return locked && accounts.containsAll(Arrays.asList(accountIds));
        }

        /** Whether the delivery given it used it, instead of reading the read models itself. */
        public boolean used() {
            return used;
        }
    }

    /**
     * Records the lag of events whose delivery has just committed (accepted at the given times);
     * answers the largest, the oldest event's, or null when there were none.
     */
    public Duration applied(List<Instant> accepted) {
        Instant committedAt = clock.instant();
        Duration oldest = null;
        for (Instant at : accepted) {
            Duration lag = Duration.between(at, committedAt);
            metrics.applied(lag);
            if (oldest == null || lag.compareTo(oldest) > 0) {
                oldest = lag;
            }
        }
        return oldest;
    }

    /**
     * The common case, in a handful of statements whatever the batch size: every event is its
     * account's next version (or an older duplicate), no account has held events, and every
     * balance follows from the previous one. The checks the careful path makes per event in SQL
     * are made here in memory on the balances read up front; the rows are then
     * written in one round trip. Anything else (a gap, a held event, a mismatch, a failing write)
     * answers null, or throws, with nothing kept, and the batch goes the careful way.
     */
    private Delivery deliverAtOnce(List<PendingEntry> batch, List<Instant> accepted, ReadAlongside alongside) {
        String[] accountIds = batch.stream().map(pending -> pending.entry().accountId()).distinct()
                .toArray(String[]::new);
        // Read in the round's first round trip when that read serves the batch, else now.
        ReadAlongside read = alongside != null && alongside.serves(accountIds) ? alongside : readNow(accountIds);
        if (read == alongside) {
            alongside.used = true;
        }
        Map<String, Balance> balances = new HashMap<>();
        for (String accountId : accountIds) {
            if (read.held.contains(accountId)) {
                return null;
            }
            Balance balance = read.balances.get(accountId);
            if (balance != null) {
                balances.put(accountId, balance);
            }
        }
        Positions positions = new Positions(read.lastPosition);
        Map<String, Long> readVersions = new HashMap<>();
        balances.forEach((accountId, balance) -> readVersions.put(accountId, balance.version()));
        Map<String, List<PendingEntry>> units = new LinkedHashMap<>();
        for (PendingEntry pending : batch) {
            units.computeIfAbsent(unitOf(pending), key -> new ArrayList<>()).add(pending);
        }
        List<LedgerEntry> applied = new ArrayList<>(batch.size());
        List<Long> appliedPositions = new ArrayList<>(batch.size());
        int duplicates = 0;
        for (List<PendingEntry> unit : units.values()) {
            for (PendingEntry pending : unit) {
                LedgerEntry entry = pending.entry();
                Balance before = balances.get(entry.accountId());
                long current = before == null ? 0 : before.version();
                if (entry.version() <= current) {
                    duplicates++;
                    continue;
                }
                Balance after = before == null ? Balance.opening(entry) : before.next(entry);
                if (entry.version() != current + 1 || after == null) {
                    return null;
                }
                long position = positions.next();
                balances.put(entry.accountId(), after.at(position));
                applied.add(entry);
                appliedPositions.add(position);
            }
        }
        Timestamp now = Timestamp.from(clock.instant());
        write(applied, appliedPositions, balances, readVersions, now);
        for (int i = 0; i < duplicates; i++) {
            metrics.duplicateDropped();
        }
        applied.forEach(entry -> accepted.add(entry.occurredAt()));
        return new Delivery(batch.stream().map(PendingEntry::id).toList(), Map.of());
    }

    /**
     * The feed rows and the balances, each kind of row in one statement over arrays, whatever the
     * batch size (a statement per row costs the server more than the row does), buffered for the
     * transaction's last round trip ({@link TransactionBuffer}): in the consumer's own transaction
     * and in a relay round's alike, that round trip also carries the commit
     * ({@link TransactionBuffer#commitWithRows}, asked for by whoever started the transaction). A
     * row that fails there fails the commit, and the batch goes the careful way.
     */
    private void write(List<LedgerEntry> entries, List<Long> positions, Map<String, Balance> balances,
                       Map<String, Long> readVersions, Timestamp now) {
        Pipeline pipeline = new Pipeline();
        if (!entries.isEmpty()) {
            Object[] args = new Object[2 + LedgerEntryColumns.COUNT];
            args[0] = now;
            args[1] = positions.toArray(Long[]::new);
            System.arraycopy(LedgerEntryColumns.arrays(entries), 0, args, 2, LedgerEntryColumns.COUNT);
            pipeline.write(INSERT_FEED, entries.size(), args);
        }
        List<String> opened = new ArrayList<>();
        List<String> moved = new ArrayList<>();
        balances.forEach((accountId, balance) -> {
            Long read = readVersions.get(accountId);
            if (read == null) {
                opened.add(accountId);
            } else if (balance.version() != read) {
                moved.add(accountId);
            }
        });
        if (!opened.isEmpty()) {
            pipeline.write("""
                    insert into account_balance (account_id, currency, balance, overdraft_limit, version, position,
                                                 updated_at)
                    select a, c, b, o, v, p, ?::timestamptz
                    from unnest(?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[])
                      as u(a, c, b, o, v, p)""",
                    opened.size(), now,
                    opened.toArray(String[]::new), Pipeline.texts(opened, id -> balances.get(id).currency()),
                    Pipeline.longs(opened, id -> balances.get(id).balance()),
                    Pipeline.longs(opened, id -> balances.get(id).overdraftLimit()),
                    Pipeline.longs(opened, id -> balances.get(id).version()),
                    Pipeline.longs(opened, id -> balances.get(id).position()));
        }
        if (!moved.isEmpty()) {
            // Each row only if it is still at the version read under the consumer's lock, and the
            // statement fails unless every row was: checked by the server, in the statement, because
            // the commit may go in the same round trip (a count checked here, once the round trip has
            // come back, would come after the commit).
            pipeline.query("""
                    with moved as (
                        update account_balance b
                        set balance = u.balance, version = u.version, position = u.position,
                            updated_at = ?::timestamptz
                        from unnest(?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[])
                          as u(account_id, read_version, balance, version, position)
                        where b.account_id = u.account_id and b.version = u.read_version
                        returning 1)
                    select ledger_expect(count(*) = ?::bigint, 'the read models'' versions') from moved""",
                    rs -> { }, now,
                    moved.toArray(String[]::new), Pipeline.longs(moved, readVersions::get),
                    Pipeline.longs(moved, id -> balances.get(id).balance()),
                    Pipeline.longs(moved, id -> balances.get(id).version()),
                    Pipeline.longs(moved, id -> balances.get(id).position()), (long) moved.size());
        }
        // Written in the transaction's last round trip, after what else it buffered.
        TransactionBuffer.<List<Pipeline>>of(writes, ArrayList::new, (buffered, last) -> {
            buffered.forEach(last::append);
            buffered.clear();
        }, () -> { }, jdbc).add(pipeline);
    }

    /** Feed rows from parallel arrays, in one statement. */
    private static final String INSERT_FEED = """
            insert into event_feed (relayed_at, position, %1$s)
            select ?::timestamptz, * from unnest(?::bigint[], %2$s)""".formatted(LedgerEntryColumns.NAMES,
            LedgerEntryColumns.ARRAY_PLACEHOLDERS);

    /** An account's read-model balance as the batch goes; null from next() when an event does not follow. */
    private record Balance(long version, long balance, String currency, long overdraftLimit, long position) {

        static Balance opening(LedgerEntry entry) {
            if (entry.version() != 1 || !LedgerEntry.ACCOUNT_OPENED.equals(entry.type()) || entry.balanceAfter() != 0) {
                return null;
            }
            return new Balance(1, 0, entry.currency(),
                    entry.overdraftLimit() == null ? 0 : entry.overdraftLimit(), 0);
        }

        Balance next(LedgerEntry entry) {
            if (entry.version() != version + 1 || !currency.equals(entry.currency())
                    || balance + entry.delta() != entry.balanceAfter()) {
                return null;
            }
            return new Balance(entry.version(), entry.balanceAfter(), currency, overdraftLimit, position);
        }

        Balance at(long newPosition) {
            return new Balance(version, balance, currency, overdraftLimit, newPosition);
        }
    }

    /** One unit (the rows of one command) at a time, each under a savepoint, failures isolated. */
    private Delivery deliverUnitByUnit(List<PendingEntry> batch, List<Instant> accepted) {
        return ownTransaction.execute(status -> {
            Positions positions = new Positions(0);
            lockAndReadPosition(new Pipeline(), positions).run(jdbc);
            Map<String, List<PendingEntry>> units = new LinkedHashMap<>();
            for (PendingEntry pending : batch) {
                units.computeIfAbsent(unitOf(pending), key -> new ArrayList<>()).add(pending);
            }
            Map<String, Long> versions = new HashMap<>();
            Set<String> blocked = new HashSet<>();
            List<Long> delivered = new ArrayList<>(batch.size());
            Map<String, Failure> failed = new LinkedHashMap<>();
            for (List<PendingEntry> unit : units.values()) {
                // Behind a failed unit, an account's later units wait too (undelivered), so that they
                // stay pending behind the parked failure instead of being held as gaps.
                if (unit.stream().anyMatch(pending -> blocked.contains(pending.entry().accountId()))) {
                    unit.forEach(pending -> blocked.add(pending.entry().accountId()));
                    continue;
                }
                long before = positions.last;
                LedgerEntry[] applying = new LedgerEntry[1];
                List<Instant> unitAccepted = new ArrayList<>();
                Savepoint savepoint = setSavepoint();
                try {
                    for (PendingEntry pending : unit) {
                        applying[0] = pending.entry();
                        accept(pending.entry(), versions, positions, applying, unitAccepted);
                    }
                    releaseSavepoint(savepoint);
                    unit.forEach(pending -> delivered.add(pending.id()));
                    accepted.addAll(unitAccepted);
                } catch (RuntimeException failure) {
                    rollbackTo(savepoint);
                    positions.last = before;
                    unit.forEach(pending -> {
                        versions.remove(pending.entry().accountId());
                        blocked.add(pending.entry().accountId());
                    });
                    failed.put(applying[0].accountId(), new Failure(applying[0].version(), describe(failure)));
                }
            }
            return new Delivery(delivered, failed);
        });
    }

    /**
     * Adds to {@code pipeline} the consumer's lock (waited for: one delivery at a time) and, after
     * it, the reading of the feed's last position into {@code positions}.
     */
    private static Pipeline lockAndReadPosition(Pipeline pipeline, Positions positions) {
        return pipeline.execute("select pg_advisory_xact_lock(?, ?)", LOCK_CLASS, PROJECTOR_LOCK)
                .query(LAST_POSITION_SQL, rs -> positions.last = rs.getLong(1));
    }

    /** The feed's last position (0 when it is empty). */
    private static final String LAST_POSITION_SQL = "select coalesce(max(position), 0) from event_feed";

    /*
     * Savepoints straight on the transaction's JDBC connection: Spring's nested transactions need
     * savepoint support from the JPA dialect, which Hibernate's does not offer.
     */
    private Savepoint setSavepoint() {
        try {
            return DataSourceUtils.getConnection(dataSource).setSavepoint();
        } catch (SQLException failure) {
            throw new IllegalStateException("cannot set a savepoint", failure);
        }
    }

    private void releaseSavepoint(Savepoint savepoint) {
        try {
            DataSourceUtils.getConnection(dataSource).releaseSavepoint(savepoint);
        } catch (SQLException failure) {
            throw new IllegalStateException("cannot release a savepoint", failure);
        }
    }

    private void rollbackTo(Savepoint savepoint) {
        try {
            DataSourceUtils.getConnection(dataSource).rollback(savepoint);
        } catch (SQLException failure) {
            throw new IllegalStateException("cannot roll back to a savepoint", failure);
        }
    }

    /**
     * The rows one command committed together (both legs of a transfer) are applied together or
     * not at all, so no reader ever sees one leg without the other.
     */
    private static String unitOf(PendingEntry pending) {
        String requestId = pending.entry().requestId();
        return requestId != null ? "request:" + requestId : "row:" + pending.id();
    }

    /**
     * The consumer inbox: applies the account's next version, drops older ones, holds newer ones.
     * {@code applying} names the event being applied, for the report if it fails.
     */
    private void accept(LedgerEntry entry, Map<String, Long> versions, Positions positions, LedgerEntry[] applying,
                        List<Instant> accepted) {
        String accountId = entry.accountId();
        long current = versions.computeIfAbsent(accountId, this::lockedVersion);
        if (entry.version() <= current) {
            metrics.duplicateDropped();
            return;
        }
        if (entry.version() > current + 1) {
            hold(entry);
            return;
        }
        apply(entry, positions.next(), accepted);
        versions.put(accountId, drainHeld(accountId, entry.version(), positions, applying, accepted));
    }

    private long lockedVersion(String accountId) {
        List<Long> found = jdbc.queryForList(
                "select version from account_balance where account_id = ? for update", Long.class, accountId);
        return found.isEmpty() ? 0 : found.get(0);
    }

    private void hold(LedgerEntry entry) {
        metrics.gapHeld();
        jdbc.update("insert into projection_held (account_id, version, entry, held_at) values (?, ?, ?, ?)"
                        + " on conflict (account_id, version) do nothing",
                entry.accountId(), entry.version(), write(entry), Timestamp.from(clock.instant()));
    }

    /** Applies held events that have become next in line; returns the account's version after. */
    private long drainHeld(String accountId, long current, Positions positions, LedgerEntry[] applying,
                           List<Instant> accepted) {
        for (int drained = 0; drained < HELD_DRAIN_MAX; drained++) {
            List<String> held = jdbc.queryForList("delete from projection_held where account_id = ? and version = ?"
                    + " returning entry", String.class, accountId, current + 1);
            if (held.isEmpty()) {
                return current;
            }
            // A held event that fails now is the one to name in the dead letter.
            applying[0] = read(held.get(0));
            apply(applying[0], positions.next(), accepted);
            current++;
        }
        return current;
    }

    /** Applies one event; adds when it was accepted to {@code accepted}, for the lag. */
    private void apply(LedgerEntry entry, long position, List<Instant> accepted) {
        Timestamp now = Timestamp.from(clock.instant());
        jdbc.update("insert into event_feed (position, relayed_at, " + LedgerEntryColumns.NAMES + ") values (?, ?, "
                + LedgerEntryColumns.PLACEHOLDERS + ")", statement -> {
                    statement.setLong(1, position);
                    statement.setTimestamp(2, now);
                    LedgerEntryColumns.bind(statement, 3, entry);
                });
        if (entry.version() == 1) {
            if (!LedgerEntry.ACCOUNT_OPENED.equals(entry.type()) || entry.balanceAfter() != 0) {
                throw new IllegalStateException("version 1 of " + entry.accountId() + " is not an opening");
            }
            jdbc.update("insert into account_balance (account_id, currency, balance, overdraft_limit, version,"
                            + " position, updated_at) values (?, ?, 0, ?, 1, ?, ?)",
                    entry.accountId(), entry.currency(), entry.overdraftLimit(), position, now);
        } else {
            // The balance an event records must be the previous balance plus its amount; anything
            // else means the read model and the stream disagree, and the account must stop here.
            int updated = jdbc.update("update account_balance set balance = ?, version = ?, position = ?,"
                            + " updated_at = ? where account_id = ? and version = ? and currency = ?"
                            + " and balance + ? = ?",
                    entry.balanceAfter(), entry.version(), position, now, entry.accountId(), entry.version() - 1,
                    entry.currency(), entry.delta(), entry.balanceAfter());
            if (updated != 1) {
                throw new IllegalStateException("account " + entry.accountId() + " version " + entry.version()
                        + " does not follow the read model's balance");
            }
        }
        accepted.add(entry.occurredAt());
    }

    private String write(LedgerEntry entry) {
        try {
            return json.writeValueAsString(entry);
        } catch (JsonProcessingException impossible) {
            throw new IllegalStateException("a ledger entry always serializes", impossible);
        }
    }

    private LedgerEntry read(String stored) {
        try {
            return json.readValue(stored, LedgerEntry.class);
        } catch (JsonProcessingException corrupt) {
            throw new IllegalStateException("a held entry is not readable", corrupt);
        }
    }

    private static String describe(RuntimeException failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return message.length() > 500 ? message.substring(0, 500) : message;
    }

    /** Feed positions handed out in this delivery. */
    private static final class Positions {
        private long last;

        private Positions(long last) {
            this.last = last;
        }

        private long next() {
            return ++last;
        }
    }

    /** Why one account's delivery failed, and at which version. */
    public record Failure(long version, String error) {
    }

    /**
     * @param deliveredIds outbox ids the consumer has taken (applied, dropped as duplicates, or held)
     * @param failed       accounts whose events were not taken, to be parked
     */
    public record Delivery(List<Long> deliveredIds, Map<String, Failure> failed) {
    }
}

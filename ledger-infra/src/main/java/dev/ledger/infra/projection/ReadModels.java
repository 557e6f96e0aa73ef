package dev.ledger.infra.projection;

import dev.ledger.infra.account.LedgerEntry;
import dev.ledger.infra.account.LedgerEntryColumns;
import dev.ledger.infra.outbox.RelaySignal;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.sql.PreparedStatement;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowCallbackHandler;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.stereotype.Repository;

/** Queries on the read models and the global feed. */
@Repository
public class ReadModels {

    /** The most feed entries one page may hold. */
    public static final int FEED_LIMIT_MAX = 1000;

    /** How often a read that waits for a version looks again. */
    private static final long POLL_INTERVAL_MS = 10;

    private static final int SNAPSHOT_FETCH_SIZE = 1000;

    private final JdbcTemplate jdbc;
    private final TransactionTemplate snapshots;
    private final RelaySignal relay;

    ReadModels(JdbcTemplate jdbc, PlatformTransactionManager transactions, RelaySignal relay) {
        this.jdbc = jdbc;
        this.relay = relay;
        this.snapshots = new TransactionTemplate(transactions);
        this.snapshots.setIsolationLevel(TransactionDefinition.ISOLATION_REPEATABLE_READ);
        this.snapshots.setReadOnly(true);
    }

    /**
     * Every account's balance and the totals per currency, as of one feed position, in one
     * consistent snapshot: the consumer applies a feed position and the balances it produced (both
     * legs of a transfer among them) in one transaction, so a snapshot never shows half of one.
     * Accounts are streamed to the writer in id order, so memory stays bounded.
     */
    public void balanceSnapshot(SnapshotWriter writer) {
        snapshots.executeWithoutResult(status -> {
            Long position = jdbc.queryForObject("select coalesce(max(position), 0) from event_feed", Long.class);
            writer.start(position == null ? 0 : position);
            jdbc.query(connection -> {
                PreparedStatement statement = connection.prepareStatement(
                        "select account_id, currency, balance, version from account_balance order by account_id");
                statement.setFetchSize(SNAPSHOT_FETCH_SIZE);
                return statement;
            }, (RowCallbackHandler) rs -> writer.account(rs.getString(1), rs.getString(2), rs.getLong(3),
                    rs.getLong(4)));
            writer.totals(jdbc.query("select currency, sum(balance) from account_balance group by currency"
                    + " order by currency", (rs, row) -> new CurrencyBalance(rs.getString(1), rs.getLong(2))));
        });
    }

    /** Receives a balance snapshot piece by piece. */
    public interface SnapshotWriter {
        void start(long asOfPosition);

        void account(String accountId, String currency, long balance, long version);

        void totals(List<CurrencyBalance> totals);
    }

    public record CurrencyBalance(String currency, long balance) {
    }

    public Optional<AccountBalance> account(String accountId) {
        return jdbc.query("select account_id, currency, balance, overdraft_limit, version, position"
                        + " from account_balance where account_id = ?",
                (rs, row) -> new AccountBalance(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4),
                        rs.getLong(5), rs.getLong(6)), accountId).stream().findFirst();
    }

    /**
     * The account once the read model has applied at least {@code minVersion}, waiting at most
     * {@code waitMax}; otherwise what it has (possibly nothing) when the wait ends. While it waits
     * it hurries the relay, whose wait between rounds would otherwise add to the reader's.
     */
    public Optional<AccountBalance> awaitAccount(String accountId, long minVersion, Duration waitMax) {
        long deadline = System.nanoTime() + waitMax.toNanos();
        while (true) {
            Optional<AccountBalance> account = account(accountId);
            if (account.map(found -> found.version() >= minVersion).orElse(false) || System.nanoTime() >= deadline) {
                return account;
            }
            relay.hurry();
            try {
                Thread.sleep(Math.min(POLL_INTERVAL_MS, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                return account;
            }
        }
    }

    /** Feed entries after a position, in position order. */
    public List<FeedEntry> feed(long afterPosition, int limit) {
        if (limit < 1 || limit > FEED_LIMIT_MAX) {
            throw new IllegalArgumentException("feed page limit out of range");
        }
        return jdbc.query("select position, " + LedgerEntryColumns.NAMES
                        + " from event_feed where position > ? order by position limit ?",
                (rs, row) -> new FeedEntry(rs.getLong(1), LedgerEntryColumns.read(rs, 2)), afterPosition, limit);
    }

    public long heldCount() {
        Long count = jdbc.queryForObject("select count(*) from projection_held", Long.class);
        return count == null ? 0 : count;
    }

    /** An account as the read model has it. {@code position} is the feed position of its last event. */
    public record AccountBalance(String accountId, String currency, long balance, long overdraftLimit, long version,
                                 long position) {
    }

    /** One entry of the global feed. */
    public record FeedEntry(long position, LedgerEntry entry) {
    }
}

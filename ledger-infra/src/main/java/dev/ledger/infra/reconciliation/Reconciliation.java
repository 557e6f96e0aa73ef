package dev.ledger.infra.reconciliation;

import dev.ledger.infra.account.LedgerEntry;
import dev.ledger.infra.account.ProgressLog;
import dev.ledger.infra.account.StoredEvents;
import dev.ledger.infra.account.StreamFold;
import dev.ledger.infra.account.StreamFold.BrokenStreamException;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Replays every account from the event store and compares it with the read model, in one
 * consistent snapshot of the database (REPEATABLE READ), streaming the store account by account so
 * that memory stays bounded however large the ledger is.
 *
 * <p>For each account it checks that the stream folds (consecutive versions, each balance the
 * previous one plus the amount, one currency), that the read model holds the balance the stream
 * had at the read model's version, and that any versions the read model has not applied yet are
 * still on their way (undelivered in the outbox, or held for a predecessor) rather than lost. For
 * each currency it checks that the read model's total equals deposits minus withdrawals of the
 * applied events, and that transfer debits equal transfer credits in the whole store.
 */
@Service
public class Reconciliation {

    private static final Logger log = LoggerFactory.getLogger(Reconciliation.class);

    /** The most mismatches a report lists; the count covers all of them. */
    public static final int MISMATCHES_LISTED_MAX = 1000;

    private static final int FETCH_SIZE = 2000;

    private final JdbcTemplate jdbc;
    private final TransactionTemplate snapshot;
    private final StoredEvents storedEvents;
    private final Clock clock;

    Reconciliation(JdbcTemplate jdbc, PlatformTransactionManager transactions,
                   StoredEvents storedEvents, Clock clock) {
        this.jdbc = jdbc;
        this.snapshot = new TransactionTemplate(transactions);
        this.snapshot.setIsolationLevel(TransactionDefinition.ISOLATION_REPEATABLE_READ);
        this.snapshot.setReadOnly(true);
        // A snapshot of its own, even when called from inside another transaction.
        this.snapshot.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        this.storedEvents = storedEvents;
        this.clock = clock;
    }

    public Report run() {
        return snapshot.execute(status -> reconcile());
    }

    private Report reconcile() {
        Instant started = clock.instant();
        long asOfPosition = longOf("select coalesce(max(position), 0) from event_feed");
        long totalEvents = longOf("select count(*) from domain_event_entry");
        log.info("Reconciliation started at feed position {}: {} events to replay", asOfPosition, totalEvents);
        Replay replay = new Replay(totalEvents);
        jdbc.query(connection -> {
            PreparedStatement statement = connection.prepareStatement("select " + StoredEvents.COLUMNS
                    + " from domain_event_entry d order by d.aggregate_identifier, d.sequence_number");
            statement.setFetchSize(FETCH_SIZE);
            return statement;
        }, rs -> {
            replay.accept(storedEvents.entry(rs, 1));
        });
        replay.closeAccount();
        jdbc.query("select account_id from account_balance b where not exists (select 1 from domain_event_entry d"
                        + " where d.aggregate_identifier = b.account_id) order by account_id limit ?",
                rs -> {
                    replay.mismatch(rs.getString(1), "in the read model but not in the event store");
                }, MISMATCHES_LISTED_MAX);
        replay.compareTotals();
        Report report = new Report(asOfPosition, replay.accounts, replay.events, replay.mismatchCount,
                List.copyOf(replay.mismatches), replay.totals(), replay.mismatchCount == 0, started, clock.instant());
        log.info("Reconciliation done: {} accounts, {} events, {} mismatches, balanced={}", report.accountsChecked(),
                report.eventsReplayed(), report.mismatchCount(), report.balanced());
        return report;
    }

    private long longOf(String sql) {
        Long value = jdbc.queryForObject(sql, Long.class);
        return value == null ? 0 : value;
    }

    /** Folds the store account by account and compares each account as it closes. */
    private final class Replay {
        private final ProgressLog progress;
        private final StreamFold fold = new StreamFold();
        private final List<Mismatch> mismatches = new ArrayList<>();
        private final Map<String, CurrencyTotals> currencies = new TreeMap<>();
        private long mismatchCount;
        private long accounts;
        private long events;
        private ReadModelRow readModel;
        private Long balanceAtReadModelVersion;

        private Replay(long totalEvents) {
            this.progress = new ProgressLog(log, "Reconciliation", clock, totalEvents);
        }

        void accept(LedgerEntry entry) {
            if (fold.startsNewAccount(entry)) {
                closeAccount();
                openAccount(entry.accountId());
            }
            events++;
            progress.tick(events);
            try {
                if (!fold.accept(entry)) {
                    return;
                }
            } catch (BrokenStreamException broken) {
                mismatch(broken.accountId(), broken.reason());
                return;
            }
            if (readModel != null && fold.version() <= readModel.version()) {
                totals(fold.currency()).applied(entry);
                if (fold.version() == readModel.version()) {
                    balanceAtReadModelVersion = fold.balance();
                }
            }
            totals(fold.currency()).stored(entry);
        }

        private void openAccount(String accountId) {
            accounts++;
            balanceAtReadModelVersion = null;
            readModel = jdbc.query("select currency, balance, overdraft_limit, version from account_balance"
                            + " where account_id = ?", (rs, row) -> new ReadModelRow(rs.getString(1), rs.getLong(2),
                            rs.getLong(3), rs.getLong(4)), accountId).stream().findFirst().orElse(null);
        }

        void closeAccount() {
            if (fold.accountId() == null || fold.broken()) {
                return;
            }
            String accountId = fold.accountId();
            long version = fold.version();
            long applied = readModel == null ? 0 : readModel.version();
            if (readModel != null) {
                if (readModel.version() > version) {
                    mismatch(accountId, "read model at version " + readModel.version() + " but the event store has "
                            + version);
                    return;
                }
                if (!readModel.currency().equals(fold.currency()) || readModel.overdraftLimit() != fold.overdraftLimit()) {
                    mismatch(accountId, "read model has currency or overdraft limit that differ from the opening");
                }
                if (balanceAtReadModelVersion == null || readModel.balance() != balanceAtReadModelVersion) {
                    mismatch(accountId, "read model balance " + readModel.balance() + " at version "
                            + readModel.version() + " but the event store gives " + balanceAtReadModelVersion);
                }
            }
            if (applied < version) {
                Long onTheirWay = jdbc.queryForObject("select (select count(*) from outbox_event where account_id = ?"
                        + " and version > ? and relayed_at is null) + (select count(*) from projection_held"
                        + " where account_id = ? and version > ?)", Long.class, accountId, applied, accountId, applied);
                if (onTheirWay == null || onTheirWay < version - applied) {
                    mismatch(accountId, "versions " + (applied + 1) + ".." + version
                            + " are neither in the read model nor on their way to it");
                }
            }
        }

        void compareTotals() {
            List<Map<String, Object>> rows = jdbc.queryForList(
                    "select currency, sum(balance) as total from account_balance group by currency");
            for (Map<String, Object> row : rows) {
                totals((String) row.get("currency")).readModelTotal = ((Number) row.get("total")).longValue();
            }
            currencies.forEach((code, totals) -> {
                if (totals.readModelTotal != totals.appliedNet()) {
                    mismatch("*", code + " read-model total " + totals.readModelTotal
                            + " differs from deposits minus withdrawals " + totals.appliedNet());
                }
                if (totals.transferDebits != totals.transferCredits) {
                    mismatch("*", code + " transfer debits " + totals.transferDebits + " differ from credits "
                            + totals.transferCredits);
                }
            });
        }

        List<CurrencyTotal> totals() {
            return currencies.entrySet().stream().map(entry -> new CurrencyTotal(entry.getKey(),
                    entry.getValue().readModelTotal, entry.getValue().deposits, entry.getValue().withdrawals,
                    entry.getValue().transferDebits, entry.getValue().transferCredits)).toList();
        }

        private CurrencyTotals totals(String code) {
            return currencies.computeIfAbsent(code, ignored -> new CurrencyTotals());
        }


        void mismatch(String account, String reason) {
            mismatchCount++;
            if (mismatches.size() < MISMATCHES_LISTED_MAX) {
                mismatches.add(new Mismatch(account, reason));
            }
        }

    }

    private record ReadModelRow(String currency, long balance, long overdraftLimit, long version) {
    }

    /** Sums per currency: of the events the read model applied, and transfers in the whole store. */
    private static final class CurrencyTotals {
        private long readModelTotal;
        private long deposits;
        private long withdrawals;
        private long appliedNet;
        private long transferDebits;
        private long transferCredits;

        void applied(LedgerEntry entry) {
            appliedNet = Math.addExact(appliedNet, entry.delta());
            if (LedgerEntry.DEPOSIT.equals(entry.type())) {
                deposits = Math.addExact(deposits, entry.amount());
            } else if (LedgerEntry.WITHDRAWAL.equals(entry.type())) {
                withdrawals = Math.addExact(withdrawals, entry.amount());
            }
        }

        void stored(LedgerEntry entry) {
            if (LedgerEntry.TRANSFER_DEBIT.equals(entry.type())) {
                transferDebits = Math.addExact(transferDebits, entry.amount());
            } else if (LedgerEntry.TRANSFER_CREDIT.equals(entry.type())) {
                transferCredits = Math.addExact(transferCredits, entry.amount());
            }
        }

        long appliedNet() {
            return appliedNet;
        }
    }

    /** One thing that does not add up. {@code accountId} is {@code *} for a currency-wide total. */
    public record Mismatch(String accountId, String reason) {
    }

    /** Per currency: the read model's total and the movements of the event store. */
    public record CurrencyTotal(String currency, long readModelBalance, long deposits, long withdrawals,
                                long transferDebits, long transferCredits) {
    }

    public record Report(long asOfPosition, long accountsChecked, long eventsReplayed, long mismatchCount,
                         List<Mismatch> mismatches, List<CurrencyTotal> totals, boolean balanced,
                         Instant startedAt, Instant finishedAt) {
    }
}

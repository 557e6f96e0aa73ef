package dev.ledger.infra.command;

import dev.ledger.infra.Pipeline;
import dev.ledger.infra.TransactionBuffer;
import dev.ledger.infra.command.CommitWriters.PendingWrite;
import dev.ledger.infra.eventstore.AggregateCache;
import dev.ledger.infra.inbox.IdempotencyKeyInFlightException;
import dev.ledger.infra.inbox.IdempotencyKeyReusedException;
import dev.ledger.infra.inbox.InboxKey;
import dev.ledger.infra.inbox.InboxRequest;
import dev.ledger.infra.inbox.InboxResult;
import dev.ledger.infra.inbox.InboxStore;
import dev.ledger.infra.inbox.InboxStore.StoredAnswer;
import dev.ledger.infra.inbox.StoredResponse;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.LongStream;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Runs a write exactly once per idempotency key. One database transaction holds the key's lock,
 * checks the inbox, executes the command (Axon joins this transaction to append its events) and
 * stores the response: the answer and its effect commit together or not at all.
 *
 * <p>Commands on one account queue: in this process on {@link AccountLocks} (without holding a
 * database connection while they wait), then across processes on {@link DatabaseAccountLocks}.
 * A write that still loses a race for an account version (to a writer that bypassed these
 * locks) is retried from the start, with a bounded number of attempts.
 *
 * <p>Writes are group-committed: each account's writes go to one of a few writer threads
 * ({@link CommitWriters}), which runs the writes that queued while its previous transaction
 * committed in one transaction, one after the other, each exactly as it would run alone (key lock,
 * inbox, command, answer). A refusal is an answer like any other; a write whose key is in flight
 * or reused fails alone, having written nothing. Anything else that goes wrong rolls the whole
 * transaction back, and then each of its writes runs again alone, in its own transaction with its
 * own retries: grouping changes how many commits there are, never what any write does. The one
 * exception is a database that cannot be reached: the group's writes (and the writes queued
 * before it was found unreachable) are all answered with that failure at once, having written
 * nothing, instead of each waiting out a connection timeout of its own.
 *
 * <p>A transaction whose accounts are all cached does not wait for its start's round trip: its
 * start goes with its rows and its commit, as checks ({@link #startCheckedAtCommit}); if one fails,
 * nothing of it is kept and its writes run again with a start of their own.
 */
@Service
public class IdempotentExecutor implements DisposableBean {

    /**
     * Goes first in the pipeline that writes a write transaction's rows (and, for a start checked
     * at commit, takes its locks and checks): its statements are planned once per connection instead
     * of at every execution. Each takes its rows from arrays ({@code unnest(?::text[])}); with the
     * arrays in hand the planner counts their elements, so the plan made for one execution always
     * looked cheaper than the one made for any, and PostgreSQL kept planning each statement afresh:
     * 11 % of the writer's server process's CPU under load (perf). None of these statements has a
     * plan to choose: locks and checks on arrays, index probes by key, inserts. The setting lasts
     * until the transaction ends; statements before this pipeline (the reads of an account not
     * cached) plan as anywhere else.
     */
    static final String PLAN_ONCE = "set local plan_cache_mode = force_generic_plan";

    /**
     * The buckets of the two latency histograms ({@link #COMMIT_METRIC}, {@link #ANSWER_METRIC}):
     * fixed, so that a scraper can take the difference of two scrapes and read the distribution of
     * exactly the interval between them, and fine enough around a commit's usual milliseconds.
     */
    private static final Duration[] LATENCY_BUCKETS = LongStream.of(250, 500, 750, 1_000, 1_500, 2_000, 2_500,
                    3_000, 4_000, 5_000, 6_000, 7_000, 8_000, 10_000, 12_500, 15_000, 20_000, 25_000, 30_000, 40_000,
                    50_000, 75_000, 100_000, 200_000, 500_000, 1_000_000, 5_000_000)
            .mapToObj(micros -> Duration.ofNanos(micros * 1_000)).toArray(Duration[]::new);

    /** A write transaction's last round trip: its rows, the checks sent with them and its commit. */
    static final String COMMIT_METRIC = "ledger.commands.commit";
    /** A write's time in the writers' hands: from its queueing to its answer. */
    static final String ANSWER_METRIC = "ledger.commands.answer";

    private final InboxStore inbox;
    private final DatabaseAccountLocks databaseLocks;
    private final JdbcTemplate jdbc;
    private final TransactionTemplate transactions;
    private final AggregateCache cache;
    private final AccountLocks accountLocks;
    private final Retry retry;
    private final CommitWriters writers;
    private final Duration answerWaitMax;
    private final DistributionSummary batchSizes;
    private final Timer commits;
    private final Timer answers;
    private final Counter batchesRunAlone;
    private final Counter checkedStarts;
    private final Counter checksFailed;
    /** The last time a write found the database unreachable, and how; null before the first time. */
    private volatile Outage lastOutage;

    IdempotentExecutor(InboxStore inbox, DatabaseAccountLocks databaseLocks, JdbcTemplate jdbc,
                       TransactionTemplate transactions,
                       AggregateCache cache, AccountLocks accountLocks, CommandProperties properties,
                       MeterRegistry registry) {
        this.inbox = inbox;
        this.databaseLocks = databaseLocks;
        this.jdbc = jdbc;
        this.transactions = transactions;
        this.cache = cache;
        this.accountLocks = accountLocks;
        this.retry = Retry.of("ledger-commands", RetryConfig.custom()
                .maxAttempts(properties.retryAttemptsMax())
                .intervalFunction(IntervalFunction.ofExponentialRandomBackoff(
                        properties.retryWaitInitial(), 1.5, 0.5))
                .retryOnException(TransientConflicts::isTransient)
                .build());
        // A queued write waits for the writes ahead of it and then, at worst, for its account's
        // lock and for a run alone with every retry: bounded, but generously.
        this.answerWaitMax = properties.lockWaitMax().multipliedBy(3).plusSeconds(10);
        this.batchSizes = DistributionSummary.builder("ledger.commands.batch.size")
                .description("Writes committed together in one transaction")
                .register(registry);
        this.commits = Timer.builder(COMMIT_METRIC)
                .description("A write transaction's last round trip to PostgreSQL, from sending its rows (with the"
                        + " checks of a start sent with them) to its commit's answer, the WAL flush included")
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry);
        this.answers = Timer.builder(ANSWER_METRIC)
                .description("A write's time with the writer threads, from its queueing to its answer: the wait"
                        + " for the groups ahead of it and its own group's transaction")
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry);
        this.batchesRunAlone = Counter.builder("ledger.commands.batch.fallbacks")
                .description("Groups of writes whose transaction failed, so that each write ran again alone")
                .register(registry);
        this.checkedStarts = Counter.builder("ledger.commands.start.checked")
                .description("Transactions of writes on cached accounts whose start went with their rows and commit,"
                        + " checked there")
                .register(registry);
        this.checksFailed = Counter.builder("ledger.commands.start.checks.failed")
                .description("Transactions whose start, checked at commit, did not hold, so that their writes ran again"
                        + " with a start of their own")
                .register(registry);
        this.writers = new CommitWriters(properties.writers(), properties.queueLengthMax(), properties.batchSizeMax(),
                this::commitTogether);
        Gauge.builder("ledger.commands.queued", writers, CommitWriters::queued)
                .description("Writes waiting for their writer thread")
                .register(registry);
    }

    /**
     * @param action renders the response for a request seen for the first time; it receives the
     *               request id to record in the events it causes, runs inside the transaction, and
     *               must turn business refusals into responses (they are stored like successes)
     *               while letting everything else propagate (nothing is then stored)
     */
    public InboxResult execute(InboxRequest request, Function<String, StoredResponse> action) {
        String requestId = UUID.randomUUID().toString();
        if (request.accountIds().isEmpty()) {
            return executeAlone(request, requestId, action);
        }
        CompletableFuture<InboxResult> answer = new CompletableFuture<>();
        long queuedAt = System.nanoTime();
        if (!writers.offer(new PendingWrite(request, requestId, action, answer, queuedAt))) {
            throw new AccountBusyException(Duration.ZERO);
        }
        try {
            return answer.get(answerWaitMax.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException failed) {
            if (failed.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException("a write failed", failed.getCause());
        } catch (TimeoutException late) {
            // The write may still commit; a retry with the same key then gets its answer.
            throw new AccountBusyException(answerWaitMax);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new AccountBusyException(answerWaitMax);
        } finally {
            if (answer.isDone()) {
                // Answered, with a result or a failure; a wait given up on is not an answer.
                answers.record(System.nanoTime() - queuedAt, TimeUnit.NANOSECONDS);
            }
        }
    }

    /** The number of writes that needed more than one attempt, for tests and metrics. */
    public long retriedWrites() {
        return retry.getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt()
                + retry.getMetrics().getNumberOfFailedCallsWithRetryAttempt();
    }

    /** Writes waiting for their writer thread now. */
    public int queuedWrites() {
        return writers.queued();
    }

    @Override
    public void destroy() {
        writers.stop();
    }

    /**
     * Runs on a writer thread: the queued writes in one transaction, or, if it fails, each alone.
     * Writes queued before the database was last found unreachable are answered with that failure
     * without a try, and a group that finds it unreachable is answered as a whole: running its
     * writes again one by one would only make every write queued behind them wait for each
     * attempt's connection timeout in turn.
     */
    private void commitTogether(List<PendingWrite> queued) {
        batchSizes.record(queued.size());
        List<PendingWrite> batch = withoutThoseQueuedBeforeAnOutage(queued);
        if (batch.isEmpty()) {
            return;
        }
        if (batch.size() == 1) {
            runAlone(batch.get(0));
            return;
        }
        Set<String> accounts = new LinkedHashSet<>();
        batch.forEach(write -> accounts.addAll(write.request().accountIds()));
        List<String> accountIds = List.copyOf(accounts);
        List<Object> outcomes;
        try {
            outcomes = accountLocks.withLocks(accountIds, () -> {
                Optional<List<Object>> checked = checkedAtCommit(accountIds,
                        cached -> runGroup(batch, accountIds, cached));
                return checked.isPresent() ? checked.get()
                        : transactions.execute(status -> runGroup(batch, accountIds, null));
            });
        } catch (AccountBusyException busy) {
            batch.forEach(write -> write.result().completeExceptionally(busy));
            return;
        } catch (RuntimeException failure) {
            if (DatabaseUnavailable.isUnavailable(failure)) {
                lastOutage = new Outage(System.nanoTime(), failure);
                batch.forEach(write -> write.result().completeExceptionally(failure));
                return;
            }
            // Nothing of the batch committed: each write runs again alone, with its own retries.
            batchesRunAlone.increment();
            batch.forEach(this::runAlone);
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            Object outcome = outcomes.get(i);
            if (outcome instanceof InboxResult result) {
                batch.get(i).result().complete(result);
            } else {
                batch.get(i).result().completeExceptionally((RuntimeException) outcome);
            }
        }
    }

    /**
     * The body of a group's transaction: its start (read first, or, given the accounts' cached
     * versions, checked with the rows at commit), then each write as it would run alone.
     */
    private List<Object> runGroup(List<PendingWrite> batch, List<String> accountIds, Map<String, Long> cached) {
        commitWithRowsPlannedOnce();
        List<InboxKey> keys = batch.stream().map(write -> write.request().key()).toList();
        Started started = cached == null ? start(accountIds, keys) : startCheckedAtCommit(accountIds, keys, cached);
        List<Object> results = new ArrayList<>(batch.size());
        for (PendingWrite write : batch) {
            InboxKey key = write.request().key();
            try {
                if (!started.locked().contains(key)) {
                    throw new IdempotencyKeyInFlightException();
                }
                Optional<StoredAnswer> answer = inbox.findPending(key)
                        .or(() -> Optional.ofNullable(started.stored().get(key)));
                results.add(execute(write.request(), write.requestId(), write.action(), answer));
            } catch (IdempotencyKeyInFlightException | IdempotencyKeyReusedException refusedAlone) {
                // Decided before the write touched anything: the others carry on.
                results.add(refusedAlone);
            }
        }
        return results;
    }

    /**
     * Makes the current write transaction's last round trip carry its commit
     * ({@link TransactionBuffer#commitWithRows}) and begin with {@link #PLAN_ONCE}.
     */
    private void commitWithRowsPlannedOnce() {
        TransactionBuffer.commitWithRows(jdbc, nanos -> commits.record(nanos, TimeUnit.NANOSECONDS));
        TransactionBuffer.first(jdbc, pipeline -> pipeline.execute(PLAN_ONCE));
    }

    /**
     * Runs {@code body} in a transaction whose start is checked at its commit
     * ({@link #startCheckedAtCommit}), given the accounts' cached versions. Empty when not every
     * account is cached (nothing was tried), or when the transaction rolled back for any reason but
     * an unreachable database: it then wrote nothing, and its writes are to run again the careful
     * way, exactly as if it had never been tried.
     */
    private <T> Optional<T> checkedAtCommit(List<String> accountIds, Function<Map<String, Long>, T> body) {
        Map<String, Long> cached = accountIds.isEmpty() ? null : cache.versionsIfAllCached(accountIds);
        if (cached == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(transactions.execute(status -> body.apply(cached)));
        } catch (RuntimeException failed) {
            if (DatabaseUnavailable.isUnavailable(failed)) {
                throw failed;
            }
            checksFailed.increment();
            return Optional.empty();
        }
    }

    private void runAlone(PendingWrite write) {
        try {
            write.result().complete(executeAlone(write.request(), write.requestId(), write.action()));
        } catch (RuntimeException failure) {
            if (DatabaseUnavailable.isUnavailable(failure)) {
                lastOutage = new Outage(System.nanoTime(), failure);
            }
            write.result().completeExceptionally(failure);
        }
    }

    /** Answers the writes queued before the database was last found unreachable; returns the others. */
    private List<PendingWrite> withoutThoseQueuedBeforeAnOutage(List<PendingWrite> queued) {
        Outage outage = lastOutage;
        if (outage == null) {
            return queued;
        }
        List<PendingWrite> live = new ArrayList<>(queued.size());
        for (PendingWrite write : queued) {
            if (write.queuedAtNanos() - outage.atNanos() < 0) {
                write.result().completeExceptionally(outage.failure());
            } else {
                live.add(write);
            }
        }
        return live;
    }

    /** When a write last found the database unreachable, and the failure it got. */
    private record Outage(long atNanos, RuntimeException failure) {
    }

    private InboxResult executeAlone(InboxRequest request, String requestId, Function<String, StoredResponse> action) {
        return accountLocks.withLocks(request.accountIds(), () -> {
            Optional<InboxResult> checked = checkedAtCommit(request.accountIds(),
                    cached -> runOne(request, requestId, action, cached));
            if (checked.isPresent()) {
                return checked.get();
            }
            try {
                return retry.executeSupplier(
                        () -> transactions.execute(status -> runOne(request, requestId, action, null)));
            } catch (RuntimeException failure) {
                if (TransientConflicts.isTransient(failure)) {
                    throw new WriteConflictException(retry.getRetryConfig().getMaxAttempts(), failure);
                }
                throw failure;
            }
        });
    }

    /** The body of one write's transaction: its start, read first or checked at commit, then the write. */
    private InboxResult runOne(InboxRequest request, String requestId, Function<String, StoredResponse> action,
                               Map<String, Long> cached) {
        commitWithRowsPlannedOnce();
        List<InboxKey> keys = List.of(request.key());
        Started started = cached == null ? start(request.accountIds(), keys)
                : startCheckedAtCommit(request.accountIds(), keys, cached);
        if (!started.locked().contains(request.key())) {
            throw new IdempotencyKeyInFlightException();
        }
        return execute(request, requestId, action, Optional.ofNullable(started.stored().get(request.key())));
    }

    /**
     * The start of a write transaction, in one round trip: the accounts' locks (waited for), then
     * the keys' locks (tried), then, each in a statement of its own after the locks, the accounts'
     * last sequence numbers (cached accounts behind them are dropped) and the keys' stored answers.
     */
    private Started start(List<String> accountIds, List<InboxKey> keys) {
        cache.evictUnlessCommitted(accountIds);
        Map<String, Long> lastSequences = new HashMap<>();
        Set<InboxKey> locked = new HashSet<>();
        Map<InboxKey, StoredAnswer> stored = new HashMap<>();
        Pipeline pipeline = new Pipeline();
        databaseLocks.lock(pipeline, accountIds);
        inbox.tryLockAll(pipeline, keys, locked);
        databaseLocks.lastSequences(pipeline, accountIds, lastSequences);
        inbox.findAll(pipeline, keys, stored);
        pipeline.run(jdbc);
        cache.keepOnlyCurrent(accountIds, lastSequences);
        return new Started(locked, stored);
    }

    /**
     * The start of a write transaction whose accounts are all cached, sent with its rows and its
     * commit instead of in a round trip of its own: the writes run at once on the cached accounts,
     * assuming that the keys' locks are free, that no answer is stored for the keys and that
     * nobody else has written to the accounts since they were cached; the pipeline that writes
     * the rows then starts with the accounts' locks (waited for) and checks each assumption, and
     * a check that fails stops the rows and the commit (SQLSTATE LW001; a stored answer makes
     * the insert of the new one fail on the key's uniqueness). The transaction then rolls back,
     * the accounts leave the cache, and the caller runs the writes again with {@link #start}.
     *
     * <p>What a write reads from the database before the locks is thereby either the accounts'
     * state (checked against their last versions) or guarded by a unique key that its own rows
     * insert (a transfer's id): its decision is the one it would have made after the locks.
     */
    private Started startCheckedAtCommit(List<String> accountIds, List<InboxKey> keys, Map<String, Long> cached) {
        checkedStarts.increment();
        cache.evictUnlessCommitted(accountIds);
        TransactionBuffer.first(jdbc, pipeline -> {
            databaseLocks.lock(pipeline, accountIds);
            inbox.expectLocked(pipeline, keys);
            databaseLocks.expectLastSequences(pipeline, cached);
        });
        return new Started(Set.copyOf(keys), Map.of());
    }

    /** The keys whose locks a write transaction holds, and the answers stored for its keys. */
    private record Started(Set<InboxKey> locked, Map<InboxKey, StoredAnswer> stored) {
    }

    /** One write whose key's lock this transaction holds, given the answer stored for the key, if any. */
    private InboxResult execute(InboxRequest request, String requestId, Function<String, StoredResponse> action,
                                Optional<StoredAnswer> stored) {
        if (stored.isPresent()) {
            if (!stored.get().fingerprint().equals(request.fingerprint())) {
                throw new IdempotencyKeyReusedException();
            }
            return new InboxResult(stored.get().response(), true, stored.get().requestId());
        }
        StoredResponse response = action.apply(requestId);
        inbox.save(request.key(), requestId, request.fingerprint(), response);
        return new InboxResult(response, false, requestId);
    }
}

package dev.ledger.infra.command;

import dev.ledger.infra.inbox.IdempotencyKeyInFlightException;
import dev.ledger.infra.inbox.IdempotencyKeyReusedException;
import dev.ledger.infra.inbox.InboxRequest;
import dev.ledger.infra.inbox.InboxResult;
import dev.ledger.infra.inbox.InboxStore;
import dev.ledger.infra.inbox.InboxStore.StoredAnswer;
import dev.ledger.infra.inbox.StoredResponse;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
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
 */
@Service
public class IdempotentExecutor {

    private final InboxStore inbox;
    private final DatabaseAccountLocks databaseLocks;
    private final TransactionTemplate transactions;
    private final AccountLocks accountLocks;
    private final Retry retry;

    IdempotentExecutor(InboxStore inbox, DatabaseAccountLocks databaseLocks, TransactionTemplate transactions,
                       CommandProperties properties) {
        this.inbox = inbox;
        this.databaseLocks = databaseLocks;
        this.transactions = transactions;
        this.accountLocks = new AccountLocks(properties.lockWaitMax());
        this.retry = Retry.of("ledger-commands", RetryConfig.custom()
                .maxAttempts(properties.retryAttemptsMax())
                .intervalFunction(IntervalFunction.ofExponentialRandomBackoff(
                        properties.retryWaitInitial(), 1.5, 0.5))
                .retryOnException(TransientConflicts::isTransient)
                .build());
    }

    /**
     * @param action renders the response for a request seen for the first time; it receives the
     *               request id to record in the events it causes, runs inside the transaction, and
     *               must turn business refusals into responses (they are stored like successes)
     *               while letting everything else propagate (nothing is then stored)
     */
    public InboxResult execute(InboxRequest request, Function<String, StoredResponse> action) {
        String requestId = UUID.randomUUID().toString();
        return accountLocks.withLocks(request.accountIds(), () -> {
            try {
                return retry.executeSupplier(() -> transactions.execute(status -> attempt(request, requestId, action)));
            } catch (RuntimeException failure) {
                if (TransientConflicts.isTransient(failure)) {
                    throw new WriteConflictException(retry.getRetryConfig().getMaxAttempts(), failure);
                }
                throw failure;
            }
        });
    }

    /** The number of writes that needed more than one attempt, for tests and metrics. */
    public long retriedWrites() {
        return retry.getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt()
                + retry.getMetrics().getNumberOfFailedCallsWithRetryAttempt();
    }

    private InboxResult attempt(InboxRequest request, String requestId, Function<String, StoredResponse> action) {
        if (!inbox.tryLock(request.key())) {
            throw new IdempotencyKeyInFlightException();
        }
        Optional<StoredAnswer> stored = inbox.find(request.key());
        if (stored.isPresent()) {
            if (!stored.get().fingerprint().equals(request.fingerprint())) {
                throw new IdempotencyKeyReusedException();
            }
            return new InboxResult(stored.get().response(), true, stored.get().requestId());
        }
        databaseLocks.lock(request.accountIds());
        StoredResponse response = action.apply(requestId);
        inbox.save(request.key(), requestId, request.fingerprint(), response);
        return new InboxResult(response, false, requestId);
    }
}

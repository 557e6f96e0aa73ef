package dev.ledger.infra.command;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Limits on executing a write.
 *
 * @param lockWaitMax       how long a command waits for its account while other commands on it run
 * @param retryAttemptsMax  attempts at a write that lost a race for an account version
 * @param retryWaitInitial  the first pause between attempts; it grows by half each time, with jitter
 * @param cachedAccountsMax accounts kept loaded in memory between commands (least recently used leave)
 * @param snapshotEvery     an account's state is stored as a snapshot after this many events, so
 *                          that loading it never replays more than that
 * @param writers           threads that commit writes; each account always goes to the same one.
 *                          Fewer writers make bigger groups (fewer commits): on the 2-core benchmark
 *                          machine 1 or 2 writers gave about 1.3-1.9x the deposits/s of 4 (round 2),
 *                          and since a group's events go in one statement, 1 writer about 1.26x the
 *                          deposits/s of 2 (round 8). The price of one: a write that waits for an
 *                          account's database lock (held by another process, at most
 *                          {@code lockWaitMax}) holds up every write queued behind it, not only
 *                          those of its writer's share of the accounts; and at the higher rate the
 *                          read models' lag tail was longer in the benchmark (2 keeps more margin)
 * @param batchSizeMax      writes committed together in one transaction, at most (group commit)
 * @param queueLengthMax    writes waiting for each writer, at most; more are refused as busy
 */
@ConfigurationProperties("ledger.commands")
public record CommandProperties(
        @DefaultValue("PT5S") Duration lockWaitMax,
        @DefaultValue("10") int retryAttemptsMax,
        @DefaultValue("PT0.005S") Duration retryWaitInitial,
        @DefaultValue("100000") int cachedAccountsMax,
        @DefaultValue("500") int snapshotEvery,
        @DefaultValue("1") int writers,
        @DefaultValue("64") int batchSizeMax,
        @DefaultValue("1024") int queueLengthMax) {

    public CommandProperties {
        if (lockWaitMax.isNegative() || lockWaitMax.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalArgumentException("ledger.commands.lock-wait-max must be 0..1 minute");
        }
        if (retryAttemptsMax < 1 || retryAttemptsMax > 100) {
            throw new IllegalArgumentException("ledger.commands.retry-attempts-max must be 1..100");
        }
        if (cachedAccountsMax < 1 || cachedAccountsMax > 10_000_000) {
            throw new IllegalArgumentException("ledger.commands.cached-accounts-max must be 1..10000000");
        }
        if (snapshotEvery < 10 || snapshotEvery > 1_000_000) {
            throw new IllegalArgumentException("ledger.commands.snapshot-every must be 10..1000000");
        }
        if (writers < 1 || writers > 64) {
            throw new IllegalArgumentException("ledger.commands.writers must be 1..64");
        }
        if (batchSizeMax < 1 || batchSizeMax > 1000) {
            throw new IllegalArgumentException("ledger.commands.batch-size-max must be 1..1000");
        }
        if (queueLengthMax < 1 || queueLengthMax > 100_000) {
            throw new IllegalArgumentException("ledger.commands.queue-length-max must be 1..100000");
        }
    }
}

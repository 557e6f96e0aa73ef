package dev.ledger.infra.outbox;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param enabled      whether this instance runs a relay worker (every instance may; one relays at a time)
 * @param batchSize    outbox rows delivered per round
 * @param pollInterval how long an idle relay waits for a wake-up before it looks again, which bounds
 *                     how late it notices rows committed by other instances
 * @param linger       the longest the relay lets rows gather after a round that found fewer than a
 *                     batch, so that under load a round delivers many rows in its two round trips
 *                     instead of one or two; it adds at most this to read-model lag
 * @param lagTarget    the read-model lag that the wait aims at: after each round the wait moves
 *                     towards the one that would have brought the round's oldest event in at this
 *                     lag ({@link Linger}), so that slow rounds shorten it
 */
@ConfigurationProperties("ledger.relay")
public record RelayProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("500") int batchSize,
        @DefaultValue("PT0.1S") Duration pollInterval,
        @DefaultValue("PT0.02S") Duration linger,
        @DefaultValue("PT0.02S") Duration lagTarget) {

    public RelayProperties {
        if (batchSize < 1 || batchSize > 10_000) {
            throw new IllegalArgumentException("ledger.relay.batch-size must be 1..10000");
        }
        if (pollInterval.isNegative() || pollInterval.isZero() || pollInterval.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalArgumentException("ledger.relay.poll-interval must be positive and at most 1 minute");
        }
        if (linger.isNegative() || linger.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new IllegalArgumentException("ledger.relay.linger must be 0..1 second");
        }
        if (lagTarget.isNegative() || lagTarget.compareTo(Duration.ofSeconds(10)) > 0) {
            throw new IllegalArgumentException("ledger.relay.lag-target must be 0..10 seconds");
        }
    }
}

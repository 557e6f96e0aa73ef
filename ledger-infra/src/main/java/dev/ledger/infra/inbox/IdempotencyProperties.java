package dev.ledger.infra.inbox;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param retention          how long an answered key is kept at least (default 7 days)
 * @param purgeInterval      how often expired keys are purged
 * @param purgeBatchSize     rows deleted per purge statement
 * @param purgeBatchesPerRun statements per purge run, so one run is bounded too
 */
@ConfigurationProperties("ledger.idempotency")
public record IdempotencyProperties(
        @DefaultValue("P7D") Duration retention,
        @DefaultValue("PT10M") Duration purgeInterval,
        @DefaultValue("1000") int purgeBatchSize,
        @DefaultValue("100") int purgeBatchesPerRun) {

    public IdempotencyProperties {
        if (retention.isNegative() || retention.isZero()) {
            throw new IllegalArgumentException("ledger.idempotency.retention must be positive");
        }
        if (purgeBatchSize < 1 || purgeBatchSize > 100_000) {
            throw new IllegalArgumentException("ledger.idempotency.purge-batch-size must be 1..100000");
        }
        if (purgeBatchesPerRun < 1) {
            throw new IllegalArgumentException("ledger.idempotency.purge-batches-per-run must be positive");
        }
    }
}

package dev.ledger.api.limits;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Limits that keep one client, or a flood, from taking the service from everyone else.
 *
 * @param requestsPerSecond     per client, before 429 rate-limited
 * @param concurrentCommands    writes executing at once in this instance, before 503 overloaded
 * @param commandQueueWait      how long a write may wait for a free slot
 * @param databaseOpenWait      how long the database circuit stays open before it tries again
 */
@ConfigurationProperties("ledger.limits")
public record LimitsProperties(
        @DefaultValue("5000") int requestsPerSecond,
        @DefaultValue("64") int concurrentCommands,
        @DefaultValue("PT0.5S") Duration commandQueueWait,
        @DefaultValue("PT5S") Duration databaseOpenWait) {

    public LimitsProperties {
        if (requestsPerSecond < 1 || concurrentCommands < 1 || concurrentCommands > 10_000) {
            throw new IllegalArgumentException("ledger.limits: requests-per-second >= 1, concurrent-commands 1..10000");
        }
        if (commandQueueWait.isNegative() || commandQueueWait.compareTo(Duration.ofSeconds(10)) > 0) {
            throw new IllegalArgumentException("ledger.limits.command-queue-wait must be 0..10 seconds");
        }
    }
}

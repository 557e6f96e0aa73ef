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
 */
@ConfigurationProperties("ledger.commands")
public record CommandProperties(
        @DefaultValue("PT5S") Duration lockWaitMax,
        @DefaultValue("10") int retryAttemptsMax,
        @DefaultValue("PT0.005S") Duration retryWaitInitial) {

    public CommandProperties {
        if (lockWaitMax.isNegative() || lockWaitMax.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalArgumentException("ledger.commands.lock-wait-max must be 0..1 minute");
        }
        if (retryAttemptsMax < 1 || retryAttemptsMax > 100) {
            throw new IllegalArgumentException("ledger.commands.retry-attempts-max must be 1..100");
        }
    }
}

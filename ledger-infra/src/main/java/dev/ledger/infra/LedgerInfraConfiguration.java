package dev.ledger.infra;

import dev.ledger.infra.command.AccountLocks;
import dev.ledger.infra.command.CommandProperties;
import dev.ledger.infra.inbox.IdempotencyProperties;
import java.time.Clock;
import java.time.Duration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.EnableScheduling;

@Configuration(proxyBeanMethods = false)
@EnableScheduling
@EnableConfigurationProperties({CommandProperties.class, IdempotencyProperties.class})
public class LedgerInfraConfiguration {

    /**
     * All time in the ledger comes from here, in UTC, to the microsecond: PostgreSQL keeps
     * timestamps to the microsecond, so an event's time reads the same in the event store, the
     * feed and the statements.
     */
    /** The in-process account locks every write holds, and the aggregate cache relies on. */
    @Bean
    AccountLocks accountLocks(CommandProperties properties) {
        return new AccountLocks(properties.lockWaitMax());
    }

    @Bean
    @ConditionalOnMissingBean
    Clock clock() {
        return Clock.tick(Clock.systemUTC(), Duration.ofNanos(1_000));
    }
}

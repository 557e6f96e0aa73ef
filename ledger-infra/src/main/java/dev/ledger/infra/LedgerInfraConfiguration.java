package dev.ledger.infra;

import dev.ledger.infra.command.AccountLocks;
import dev.ledger.infra.command.CommandProperties;
import dev.ledger.infra.inbox.IdempotencyProperties;
import java.time.Clock;
import java.time.Duration;
import javax.sql.DataSource;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.transaction.PlatformTransactionManager;

@Configuration(proxyBeanMethods = false)
@EnableScheduling
@EnableConfigurationProperties({CommandProperties.class, IdempotencyProperties.class})
public class LedgerInfraConfiguration {

    /** The in-process account locks every write holds, and the aggregate cache relies on. */
    @Bean
    AccountLocks accountLocks(CommandProperties properties) {
        return new AccountLocks(properties.lockWaitMax());
    }

    /**
     * Every transaction of the ledger is plain JDBC: the event store, the inbox, the outbox, the read
     * models and the reports all write and read through the transaction-bound connection
     * ({@code JdbcTemplate}, Axon's JDBC event store), and nothing reads or writes a JPA entity. Spring
     * Boot would otherwise choose JPA's transaction manager (JPA is on the class path: Hibernate
     * validates Axon's tables at start-up), which opens a Hibernate session for every transaction and
     * flushes it at every commit: about a tenth of the one writer's samples and a sixth of the
     * relay's in a profile, for sessions that never hold an entity (docs/performance.md, round 36).
     */
    @Bean
    PlatformTransactionManager transactionManager(DataSource dataSource) {
        return new DataSourceTransactionManager(dataSource);
    }

    /**
     * All time in the ledger comes from here, in UTC, to the microsecond: PostgreSQL keeps
     * timestamps to the microsecond, so an event's time reads the same in the event store, the
     * feed and the statements.
     */
    @Bean
    @ConditionalOnMissingBean
    Clock clock() {
        return Clock.tick(Clock.systemUTC(), Duration.ofNanos(1_000));
    }
}

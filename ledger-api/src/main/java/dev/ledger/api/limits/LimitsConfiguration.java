package dev.ledger.api.limits;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import java.time.Duration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(LimitsProperties.class)
public class LimitsConfiguration {

    /** One limiter per client (clients are the configured keys, so there are few). */
    @Bean
    RateLimiterRegistry clientRateLimiters(LimitsProperties limits) {
        return RateLimiterRegistry.of(RateLimiterConfig.custom()
                .limitForPeriod(limits.requestsPerSecond())
                .limitRefreshPeriod(Duration.ofSeconds(1))
                .timeoutDuration(Duration.ZERO)
                .build());
    }

    /** Writes executing at once; the rest wait briefly, then are refused instead of queueing without end. */
    @Bean
    Bulkhead commandBulkhead(LimitsProperties limits) {
        return Bulkhead.of("commands", BulkheadConfig.custom()
                .maxConcurrentCalls(limits.concurrentCommands())
                .maxWaitDuration(limits.commandQueueWait())
                .build());
    }

    /**
     * Opens when requests keep failing for want of the database, so that callers get a fast 503
     * instead of each waiting out a connection timeout; half-opens after the wait to try again.
     */
    @Bean
    CircuitBreaker databaseCircuitBreaker(LimitsProperties limits) {
        return CircuitBreaker.of("database", CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(20)
                .minimumNumberOfCalls(5)
                .failureRateThreshold(50)
                .waitDurationInOpenState(limits.databaseOpenWait())
                .permittedNumberOfCallsInHalfOpenState(3)
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                .build());
    }
}

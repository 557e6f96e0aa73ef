package dev.ledger.infra.eventstore;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.ledger.domain.account.Account;
import org.axonframework.config.ConfigurerModule;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Axon on PostgreSQL: the Account aggregate is registered here rather than with Spring's
 * {@code @Aggregate} stereotype, so that the domain module stays free of Spring.
 */
@Configuration(proxyBeanMethods = false)
public class EventStoreConfiguration {

    @Bean
    ConfigurerModule accountAggregate() {
        return configurer -> configurer.configureAggregate(Account.class);
    }

    /**
     * The mapper Axon serializes events with (Axon looks this bean up by name). It is kept apart
     * from the web's mapper, whose strictness is for untrusted input, not for stored history.
     */
    @Bean
    ObjectMapper defaultAxonObjectMapper() {
        return new ObjectMapper()
                .registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }
}

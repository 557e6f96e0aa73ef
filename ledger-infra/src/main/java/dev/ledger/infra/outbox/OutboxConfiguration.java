package dev.ledger.infra.outbox;

import dev.ledger.infra.projection.ReadModels;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(RelayProperties.class)
public class OutboxConfiguration {

    /** Puts the outbox in front of whatever event storage Axon was given. */
    @Bean
    static BeanPostProcessor outboxWritingStorage(ObjectProvider<OutboxStore> outbox) {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) {
                if (bean instanceof EventStorageEngine engine && !(bean instanceof OutboxWritingStorageEngine)) {
                    return new OutboxWritingStorageEngine(engine, outbox.getObject());
                }
                return bean;
            }
        };
    }

    /** Gauges an alert can fire on; each reads the database when it is scraped. */
    @Bean
    MeterBinder relayGauges(OutboxStore outbox, ReadModels readModels) {
        return registry -> {
            Gauge.builder("ledger.relay.backlog", outbox, OutboxStore::backlog)
                    .description("Outbox rows not delivered yet").register(registry);
            Gauge.builder("ledger.relay.lag.seconds", outbox, OutboxStore::backlogAgeSeconds)
                    .description("Age of the oldest outbox row not delivered yet").register(registry);
            Gauge.builder("ledger.relay.dead.letters", outbox, OutboxStore::deadLetterCount)
                    .description("Accounts parked behind a failed delivery").register(registry);
            Gauge.builder("ledger.projection.held", readModels, ReadModels::heldCount)
                    .description("Events held until their account's earlier versions arrive").register(registry);
        };
    }
}

package dev.ledger.infra.eventstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.DefaultDeserializationContext;
import dev.ledger.domain.account.MoneyDepositedEvent;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The mapper Axon stores events with reads instants with {@link IsoInstantDeserializer}, as JavaTimeModule would. */
class IsoInstantDeserializerTest {

    private final ObjectMapper mapper = new EventStoreConfiguration().defaultAxonObjectMapper();

    @Test
    void the_event_mapper_reads_instants_with_it() throws Exception {
        DefaultDeserializationContext context = ((DefaultDeserializationContext) mapper.getDeserializationContext())
                .createInstance(mapper.getDeserializationConfig(), null, null);
        assertThat(context.findRootValueDeserializer(mapper.constructType(Instant.class)))
                .isInstanceOf(IsoInstantDeserializer.class);
    }

    @Test
    void a_stored_event_reads_back_the_same_and_its_text_is_unchanged() throws Exception {
        String stored = """
                {"accountId":"deep-000001","entryId":"415e6674-d86f-4465-907a-0e26683dc1a3","amount":1,\
                "currency":"EUR","reference":null,"version":3001,"balanceAfter":3000,"origin":{"occurredAt":\
                "2026-11-24T23:10:02.055541Z","requestId":"88a50e03-1496-4987-bf2e-7ad670596e41","clientId":"dev-payments"}}""";
        MoneyDepositedEvent event = mapper.readValue(stored, MoneyDepositedEvent.class);
        assertThat(event.origin().occurredAt()).isEqualTo(Instant.parse("2026-11-24T23:10:02.055541Z"));
        assertThat(mapper.readTree(mapper.writeValueAsString(event))).isEqualTo(mapper.readTree(stored));
    }

    @Test
    void other_forms_are_read_or_refused_as_java_time_module_does() throws Exception {
        assertThat(mapper.readValue("\"2026-11-24T23:10:02+01:00\"", Instant.class))
                .isEqualTo(Instant.parse("2026-11-24T22:10:02Z"));
        assertThat(mapper.readValue("1795000000.5", Instant.class)).isEqualTo(Instant.ofEpochSecond(1_795_000_000, 500_000_000));
        assertThat(mapper.readValue("null", Instant.class)).isNull();
        assertThatThrownBy(() -> mapper.readValue("\"2026-02-30T00:00:00Z\"", Instant.class))
                .isInstanceOf(JsonMappingException.class);
        assertThatThrownBy(() -> mapper.readValue("\"yesterday\"", Instant.class)).isInstanceOf(JsonMappingException.class);
    }
}

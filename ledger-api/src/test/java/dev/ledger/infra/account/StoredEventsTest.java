package dev.ledger.infra.account;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.support.IntegrationTest;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.axonframework.serialization.Serializer;
import org.axonframework.serialization.SimpleSerializedObject;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Bulk replays read each stored event exactly as Axon's serializer reads it, with the class of each
 * event type looked up once instead of for every payload.
 */
class StoredEventsTest extends IntegrationTest {

    @Autowired
    private StoredEvents storedEvents;

    @Autowired
    @Qualifier("eventSerializer")
    private Serializer serializer;

    @Autowired
    private JdbcTemplate jdbc;

    @Test
    void every_event_type_reads_as_axons_serializer_reads_it() {
        String from = "stored-a-" + UUID.randomUUID();
        String to = "stored-b-" + UUID.randomUUID();
        assertThat(ledger.openAccount(from, "EUR", 0).status()).isEqualTo(201);
        assertThat(ledger.openAccount(to, "EUR", 0).status()).isEqualTo(201);
        assertThat(ledger.deposit(from, 1_000, "EUR").status()).isEqualTo(201);
        assertThat(ledger.withdraw(from, 1, "EUR").status()).isEqualTo(201);
        assertThat(ledger.post("/api/v1/transfers", "{\"fromAccountId\":\"" + from + "\",\"toAccountId\":\"" + to
                + "\",\"amount\":250,\"currency\":\"EUR\",\"reference\":\"rent \\u00e9\"}").status()).isEqualTo(201);

        List<Map<String, Object>> rows = jdbc.queryForList("select payload, payload_type, payload_revision"
                + " from domain_event_entry where aggregate_identifier in (?, ?)"
                + " order by aggregate_identifier, sequence_number", from, to);
        assertThat(rows).hasSize(6);
        Set<String> types = new HashSet<>();
        for (int pass = 0; pass < 2; pass++) {
            for (Map<String, Object> row : rows) {
                byte[] payload = (byte[]) row.get("payload");
                String type = (String) row.get("payload_type");
                String revision = (String) row.get("payload_revision");
                types.add(type);
                LedgerEntry expected = LedgerEntry.of(serializer.deserialize(
                        new SimpleSerializedObject<>(payload, byte[].class, type, revision)));
                assertThat(storedEvents.entry(payload, type, revision)).as(type).isEqualTo(expected);
            }
        }
        assertThat(types).as("opened, deposited, withdrawn, transfer debited and credited").hasSize(5);
        assertThat(storedEvents.readersKept()).as("one reader kept per event type read")
                .isBetween(types.size(), StoredEvents.READERS_MAX);
    }
}

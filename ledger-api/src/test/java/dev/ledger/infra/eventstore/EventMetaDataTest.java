package dev.ledger.infra.eventstore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.support.IntegrationTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Events are stored without Axon's correlation metadata (the causing command message's identifier
 * as {@code traceId} and {@code correlationId}, about 100 bytes an event): what caused an event is
 * its payload's origin, whose request id is also the inbox row's.
 */
class EventMetaDataTest extends IntegrationTest {

    @Autowired
    private JdbcTemplate jdbc;

    @Test
    void events_written_through_the_api_carry_no_correlation_metadata_and_name_their_request() {
        String account = unique("metadata");
        String key = UUID.randomUUID().toString();
        assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);
        assertThat(ledger.post("/api/v1/accounts/" + account + "/deposits", key, null,
                "{\"amount\":5,\"currency\":\"EUR\"}").status()).isEqualTo(201);

        List<String> metaData = jdbc.queryForList("select meta_data from domain_event_entry"
                        + " where aggregate_identifier = ? order by sequence_number", byte[].class, account)
                .stream().map(bytes -> new String(bytes, StandardCharsets.UTF_8)).toList();
        assertThat(metaData).as("the account's events' stored metadata").containsExactly("{}", "{}");

        String requestId = jdbc.queryForObject("select request_id from idempotency_inbox where idempotency_key = ?",
                String.class, key);
        String payload = jdbc.queryForObject("select convert_from(payload, 'UTF8') from domain_event_entry"
                + " where aggregate_identifier = ? and sequence_number = 1", String.class, account);
        assertThat(payload).as("the deposit's payload names its request").contains("\"requestId\":\"" + requestId + "\"");
    }
}

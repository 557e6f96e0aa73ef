package dev.ledger.api.account;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.TestDatabase;
import dev.ledger.support.TestKeys;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Proves that a stored event carries everything an auditor needs, tied to the request that caused it. */
class AuditTrailTest extends IntegrationTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void a_deposit_event_records_amounts_versions_time_entry_reference_request_and_client() throws Exception {
        String account = unique("audit");
        assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);
        Instant before = Instant.now();
        Reply deposit = ledger.post("/api/v1/accounts/" + account + "/deposits",
                "{\"amount\":1250,\"currency\":\"EUR\",\"reference\":\"invoice 42\"}");
        Instant after = Instant.now();
        assertThat(deposit.status()).as(deposit.body()).isEqualTo(201);

        JsonNode event = storedPayload(account, 1);
        assertThat(event.get("accountId").asText()).isEqualTo(account);
        assertThat(event.get("amount").asLong()).isEqualTo(1250);
        assertThat(event.get("currency").asText()).isEqualTo("EUR");
        assertThat(event.get("version").asLong()).as("version after").isEqualTo(2);
        assertThat(event.get("balanceAfter").asLong()).isEqualTo(1250);
        assertThat(event.get("entryId").asText()).isEqualTo(deposit.json().get("entryId").asText());
        assertThat(event.get("reference").asText()).isEqualTo("invoice 42");
        String occurredAt = event.at("/origin/occurredAt").asText();
        assertThat(occurredAt).as("UTC").endsWith("Z");
        assertThat(Instant.parse(occurredAt)).isBetween(before.minusSeconds(1), after.plusSeconds(1));
        assertThat(event.at("/origin/requestId").asText()).as("the request id the client was answered with")
                .isEqualTo(deposit.header("Request-Id"));
        assertThat(event.at("/origin/clientId").asText()).isEqualTo(TestKeys.PAYMENTS_CLIENT);
        assertThat(inboxRequestId(deposit)).as("the stored answer names the same request")
                .isEqualTo(deposit.header("Request-Id"));
    }

    private static JsonNode storedPayload(String account, long sequence) throws Exception {
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = connection.prepareStatement("select convert_from(payload, 'UTF8')"
                     + " from domain_event_entry where aggregate_identifier = ? and sequence_number = ?")) {
            query.setString(1, account);
            query.setLong(2, sequence);
            try (ResultSet row = query.executeQuery()) {
                assertThat(row.next()).as("event %s of %s stored", sequence, account).isTrue();
                return JSON.readTree(row.getString(1));
            }
        }
    }

    private static String inboxRequestId(Reply answered) throws Exception {
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = connection.prepareStatement(
                     "select request_id from idempotency_inbox where request_id = ?")) {
            query.setString(1, answered.header("Request-Id"));
            try (ResultSet row = query.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }
}

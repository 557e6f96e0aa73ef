package dev.ledger.api.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.Projections;
import dev.ledger.support.TestDatabase;
import dev.ledger.support.TestKeys;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Proves that idempotency keys are scoped per authenticated client, so two clients using the same
 * key never see each other's answers, and that every event records the client that caused it.
 */
class IdempotencyScopeTest extends IntegrationTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void the_same_key_used_by_payments_for_a_deposit_and_by_the_admin_for_a_reconciliation_executes_both() {
        String account = unique("scope");
        assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);
        String key = unique("shared-key");

        Reply deposit = post("/api/v1/accounts/" + account + "/deposits", key, TestKeys.PAYMENTS,
                "{\"amount\":250,\"currency\":\"EUR\"}");
        Reply reconciliation = post("/api/v1/reconciliations", key, TestKeys.ADMIN, "{}");

        assertThat(deposit.status()).as(deposit.body()).isEqualTo(201);
        assertThat(deposit.header("Idempotent-Replayed")).isNull();
        assertThat(deposit.json().get("amount").asLong()).isEqualTo(250);
        assertThat(reconciliation.status()).as(reconciliation.body()).isEqualTo(200);
        assertThat(reconciliation.header("Idempotent-Replayed")).as("the admin must not get the deposit's answer")
                .isNull();
        assertThat(reconciliation.json().has("balanced")).as(reconciliation.body()).isTrue();
        assertThat(reconciliation.json().has("entryId")).isFalse();
        assertThat(inboxClients(key)).containsExactlyInAnyOrder("dev-payments", "dev-admin");

        // Each client's retry replays its own answer, not the other's.
        Reply depositAgain = post("/api/v1/accounts/" + account + "/deposits", key, TestKeys.PAYMENTS,
                "{\"amount\":250,\"currency\":\"EUR\"}");
        Reply reconciliationAgain = post("/api/v1/reconciliations", key, TestKeys.ADMIN, "{}");
        assertThat(depositAgain.status()).isEqualTo(201);
        assertThat(depositAgain.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(depositAgain.body()).isEqualTo(deposit.body());
        assertThat(reconciliationAgain.status()).isEqualTo(200);
        assertThat(reconciliationAgain.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(reconciliationAgain.body()).isEqualTo(reconciliation.body());
        assertThat(LedgerTables.events(account)).as("opened plus one deposit").isEqualTo(2);
    }

    @Test
    void a_key_the_admin_used_first_does_not_stop_payments_from_using_it_for_a_different_request() {
        String account = unique("scope");
        assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);
        String key = unique("shared-key");

        Reply reconciliation = post("/api/v1/reconciliations", key, TestKeys.ADMIN, "{}");
        Reply deposit = post("/api/v1/accounts/" + account + "/deposits", key, TestKeys.PAYMENTS,
                "{\"amount\":75,\"currency\":\"EUR\"}");

        assertThat(reconciliation.status()).as(reconciliation.body()).isEqualTo(200);
        assertThat(deposit.status()).as("not 422 idempotency-key-reused: %s", deposit.body()).isEqualTo(201);
        assertThat(deposit.header("Idempotent-Replayed")).isNull();
        assertThat(ledger.account(account).json().get("balance").asLong()).isEqualTo(75);
    }

    @Test
    void every_event_records_the_client_that_caused_it() throws Exception {
        String from = unique("origin");
        String to = unique("origin");
        assertThat(ledger.openAccount(from, "EUR", 0).status()).isEqualTo(201);
        assertThat(ledger.openAccount(to, "EUR", 0).status()).isEqualTo(201);
        assertThat(ledger.deposit(from, 1000, "EUR").status()).isEqualTo(201);
        assertThat(ledger.withdraw(from, 100, "EUR").status()).isEqualTo(201);
        Reply transfer = ledger.post("/api/v1/transfers", "{\"fromAccountId\":\"" + from + "\",\"toAccountId\":\""
                + to + "\",\"amount\":300,\"currency\":\"EUR\"}");
        assertThat(transfer.status()).as(transfer.body()).isEqualTo(201);

        Map<String, String> storedClients = eventStoreClients(from, to);
        assertThat(storedClients).as("events in the store").hasSize(6)
                .allSatisfy((event, clientId) -> assertThat(clientId).as(event).isEqualTo(TestKeys.PAYMENTS_CLIENT));

        Projections.awaitSettled();
        assertThat(feedClients(from, to)).as("the relayed feed").hasSize(6)
                .allSatisfy((event, clientId) -> assertThat(clientId).as(event).isEqualTo(TestKeys.PAYMENTS_CLIENT));
        assertThat(LedgerTables.count("select count(*) from transfer where transfer_id = ? and client_id = ?",
                transfer.json().get("transferId").asText(), TestKeys.PAYMENTS_CLIENT)).isEqualTo(1);
    }

    private Reply post(String path, String key, String apiKey, String body) {
        return ledger.send(HttpRequest.newBuilder(ledger.uri(path))
                .header("Authorization", "Bearer " + apiKey)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static List<String> inboxClients(String key) throws IllegalStateException {
        List<String> clients = new ArrayList<>();
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = connection.prepareStatement(
                     "select client_id from idempotency_inbox where idempotency_key = ?")) {
            query.setString(1, key);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    clients.add(rows.getString(1));
                }
            }
        } catch (SQLException failure) {
            throw new IllegalStateException(failure);
        }
        return clients;
    }

    /** Each event of the accounts, by account and version, with the client id its stored payload names. */
    private static Map<String, String> eventStoreClients(String... accounts) throws SQLException, IOException {
        Map<String, String> clients = new TreeMap<>();
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = connection.prepareStatement("select aggregate_identifier, sequence_number,"
                     + " payload_type, convert_from(payload, 'UTF8') from domain_event_entry"
                     + " where aggregate_identifier = any(?)")) {
            query.setArray(1, connection.createArrayOf("varchar", accounts));
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    JsonNode payload = JSON.readTree(rows.getString(4));
                    clients.put(rows.getString(1) + " v" + (rows.getLong(2) + 1) + " " + rows.getString(3),
                            payload.path("origin").path("clientId").asText(null));
                }
            }
        }
        return clients;
    }

    private static Map<String, String> feedClients(String... accounts) throws SQLException {
        Map<String, String> clients = new TreeMap<>();
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = connection.prepareStatement(
                     "select account_id, version, type, client_id from event_feed where account_id = any(?)")) {
            query.setArray(1, connection.createArrayOf("varchar", accounts));
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    clients.put(rows.getString(1) + " v" + rows.getLong(2) + " " + rows.getString(3),
                            rows.getString(4));
                }
            }
        }
        return clients;
    }
}

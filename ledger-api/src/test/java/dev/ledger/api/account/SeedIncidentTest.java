package dev.ledger.api.account;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import org.junit.jupiter.api.Test;

/** Proves the seed incident cannot happen: deposit 1000, withdraw 800, and the account holds 200. */
class SeedIncidentTest extends IntegrationTest {

    @Test
    void a_deposit_then_a_withdrawal_leave_the_difference_and_a_history_in_order() {
        String account = unique("seed");
        assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);

        Reply deposit = ledger.deposit(account, 1000, "EUR");
        Reply withdrawal = ledger.withdraw(account, 800, "EUR");

        assertThat(deposit.status()).as(deposit.body()).isEqualTo(201);
        assertThat(withdrawal.status()).as(withdrawal.body()).isEqualTo(201);
        assertThat(withdrawal.json().get("balance").asLong()).isEqualTo(200);
        Reply read = ledger.account(account);
        assertThat(read.json().get("balance").asLong()).isEqualTo(200);
        assertThat(read.json().get("version").asLong()).isEqualTo(3);
        assertThat(read.header("ETag")).isEqualTo("\"3\"");

        JsonNode items = ledger.get("/api/v1/accounts/" + account + "/events").json().get("items");
        assertThat(items).hasSize(3);
        assertThat(items.get(0).get("type").asText()).isEqualTo("ACCOUNT_OPENED");
        assertThat(items.get(0).get("balanceAfter").asLong()).isEqualTo(0);
        assertThat(items.get(1).get("type").asText()).isEqualTo("DEPOSIT");
        assertThat(items.get(1).get("balanceAfter").asLong()).isEqualTo(1000);
        assertThat(items.get(2).get("type").asText()).isEqualTo("WITHDRAWAL");
        assertThat(items.get(2).get("balanceAfter").asLong()).isEqualTo(200);
        for (int i = 0; i < 3; i++) {
            assertThat(items.get(i).get("version").asLong()).isEqualTo(i + 1);
        }
    }
}

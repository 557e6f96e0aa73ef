package dev.ledger.api.account;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerCommand;
import dev.ledger.support.Projections;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Proves the benchmark's seeding command: it writes through the service's own write path (the
 * events, outbox rows and read models are what REST deposits would have produced), reports what
 * it wrote as one JSON line, and refuses nonsense arguments before touching anything.
 */
class SeedCommandTest extends IntegrationTest {

    @Test
    void seed_opens_the_accounts_makes_the_deposits_and_waits_until_they_are_relayed() throws Exception {
        String prefix = "seed-" + UUID.randomUUID().toString().substring(0, 8) + "-";

        LedgerCommand.Result seeded = LedgerCommand.run("seed", "--accounts=3", "--deposits=40", "--prefix=" + prefix);

        assertThat(seeded.exitCode()).as("exit code; stderr:\n%s", seeded.stderr()).isZero();
        JsonNode report = seeded.json();
        assertThat(report.get("accounts").asLong()).isEqualTo(3);
        assertThat(report.get("events").asLong()).isEqualTo(3 * 41);
        assertThat(report.get("refused").asLong()).isZero();
        assertThat(report.get("eventsPerSecond").asDouble()).isPositive();
        for (int i = 1; i <= 3; i++) {
            String account = prefix + String.format("%06d", i);
            JsonNode read = ledger.account(account).json();
            assertThat(read.get("version").asLong()).as(account).isEqualTo(41);
            assertThat(read.get("balance").asLong()).as(account).isEqualTo(40);
            JsonNode page = ledger.get("/api/v1/accounts/" + account + "/events?limit=100").json();
            assertThat(page.get("items")).as("the account's history").hasSize(41);
            assertThat(page.get("items").get(40).get("type").asText()).isEqualTo("DEPOSIT");
        }
        Projections.awaitSettled();
        JsonNode reconciliation = ledger.post("/api/v1/reconciliations", UUID.randomUUID().toString(), null, "{}").json();
        assertThat(reconciliation.get("balanced").asBoolean()).as(reconciliation.toString()).isTrue();
    }

    @Test
    void seed_refuses_arguments_out_of_bounds_without_writing() throws Exception {
        LedgerCommand.Result refused = LedgerCommand.run("seed", "--accounts=0", "--deposits=5", "--prefix=never-");

        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.stdout()).isBlank();
        assertThat(refused.stderr()).contains("accounts must be");
        assertThat(ledger.account("never-000001").status()).isEqualTo(404);
    }
}

package dev.ledger.api.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerCommand;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.Projections;
import dev.ledger.support.TestDatabase;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Proves that reconciliation — over REST and as the {@code reconcile} batch command — reports a
 * consistent ledger as balanced and catches a read-model balance that disagrees with the event
 * store, naming the account, in the report shape the contract gives; the command's exit code says
 * balanced (0), unbalanced (1) or could not run (2).
 */
class ReconciliationTest extends IntegrationTest {

    private static final String RECONCILIATIONS = "/api/v1/reconciliations";

    @Test
    void a_consistent_ledger_reconciles_as_balanced_in_the_contract_shape() {
        String account = fundedAccountWithATransfer();
        Projections.awaitSettled();
        long position = count("select coalesce(max(position), 0) from event_feed");

        Reply reply = ledger.post(RECONCILIATIONS, unique("reconcile"), null, "{}");

        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        assertThat(reply.header("Content-Type")).startsWith("application/json");
        JsonNode report = reply.json();
        assertContractShape(report);
        assertThat(report.get("mismatches")).as(reply.body()).isEmpty();
        assertThat(report.get("balanced").asBoolean()).as(reply.body()).isTrue();
        assertThat(report.get("accountsChecked").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(report.get("asOfPosition").asLong()).isGreaterThanOrEqualTo(position);
        assertThat(account).isNotBlank();
    }

    @Test
    void a_reconciliation_is_replayed_under_its_key() {
        fundedAccountWithATransfer();
        String key = unique("reconcile");
        Reply first = ledger.post(RECONCILIATIONS, key, null, "{}");

        Reply again = ledger.post(RECONCILIATIONS, key, null, "{}");

        assertThat(first.status()).as(first.body()).isEqualTo(200);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.body()).isEqualTo(first.body());
        assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
    }

    @Test
    void a_reconciliation_without_an_idempotency_key_or_with_members_is_400() {
        Reply noKey = ledger.post(RECONCILIATIONS, null, null, "{}");
        Reply members = ledger.post(RECONCILIATIONS, unique("reconcile"), null, "{\"deep\":true}");

        assertThat(noKey.status()).as(noKey.body()).isEqualTo(400);
        assertThat(noKey.json().get("code").asText()).isEqualTo("missing-idempotency-key");
        assertThat(members.status()).as(members.body()).isEqualTo(400);
        assertThat(members.json().get("code").asText()).isEqualTo("validation-failed");
    }

    @Test
    void a_read_model_balance_one_unit_off_is_reported_as_a_mismatch_naming_its_account() {
        String account = fundedAccountWithATransfer();
        Projections.awaitSettled();

        JsonNode report;
        try {
            corrupt(account, +1);
            Reply reply = ledger.post(RECONCILIATIONS, unique("reconcile"), null, "{}");
            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
            report = reply.json();
        } finally {
            corrupt(account, -1);
        }

        assertContractShape(report);
        assertThat(report.get("balanced").asBoolean()).as(report.toString()).isFalse();
        assertThat(mismatchesOf(report, account)).as("mismatches naming %s in %s", account, report).isNotEmpty();

        // Restored, the same ledger reconciles again: the mismatch was that row and nothing else.
        Reply restored = ledger.post(RECONCILIATIONS, unique("reconcile"), null, "{}");
        assertThat(restored.json().get("balanced").asBoolean()).as(restored.body()).isTrue();
    }

    @Test
    void the_batch_command_exits_0_with_a_balanced_json_report_on_a_consistent_ledger() throws Exception {
        fundedAccountWithATransfer();
        Projections.awaitSettled();

        LedgerCommand.Result batch = runBatch();

        assertThat(batch.exitCode()).as("exit code; stderr:\n%s", batch.stderr()).isZero();
        JsonNode report = batch.json();
        assertContractShape(report);
        assertThat(report.get("balanced").asBoolean()).as(batch.stdout()).isTrue();
        assertThat(report.get("mismatches")).as(batch.stdout()).isEmpty();
        assertThat(report.get("accountsChecked").asLong()).isPositive();
    }

    @Test
    void the_batch_command_exits_1_and_lists_the_mismatch_when_a_read_model_row_is_corrupt() throws Exception {
        String account = fundedAccountWithATransfer();
        Projections.awaitSettled();

        LedgerCommand.Result batch;
        try {
            corrupt(account, +1);
            batch = runBatch();
        } finally {
            corrupt(account, -1);
        }

        assertThat(batch.exitCode()).as("exit code; stderr:\n%s", batch.stderr()).isEqualTo(1);
        JsonNode report = batch.json();
        assertContractShape(report);
        assertThat(report.get("balanced").asBoolean()).isFalse();
        assertThat(mismatchesOf(report, account)).as("mismatches naming %s in %s", account, batch.stdout())
                .isNotEmpty();
    }

    @Test
    void the_batch_command_exits_2_and_prints_no_report_when_it_cannot_reach_the_database() throws Exception {
        LedgerCommand.Result batch = runBatch("jdbc:postgresql://127.0.0.1:1/ledger");

        assertThat(batch.exitCode()).as("exit code; stderr:\n%s", batch.stderr()).isEqualTo(2);
        assertThat(batch.stdout()).as("standard output").isBlank();
        assertThat(batch.stderr()).as("standard error").isNotBlank();
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** Two accounts and one transfer between them; answers the payer. */
    private String fundedAccountWithATransfer() {
        String payer = unique("rec-a");
        String payee = unique("rec-b");
        assertThat(ledger.openAccount(payer, "EUR", 0).status()).isEqualTo(201);
        assertThat(ledger.openAccount(payee, "EUR", 0).status()).isEqualTo(201);
        assertThat(ledger.deposit(payer, 1000, "EUR").status()).isEqualTo(201);
        Reply transfer = ledger.post("/api/v1/transfers", "{\"fromAccountId\":\"" + payer + "\",\"toAccountId\":\""
                + payee + "\",\"amount\":250,\"currency\":\"EUR\"}");
        assertThat(transfer.status()).as(transfer.body()).isEqualTo(201);
        return payer;
    }

    private static void assertContractShape(JsonNode report) {
        assertThat(report.isObject()).as("report %s", report).isTrue();
        assertThat(report.get("asOfPosition")).as("asOfPosition").isNotNull();
        assertThat(report.get("asOfPosition").isIntegralNumber()).as("asOfPosition is an integer").isTrue();
        assertThat(report.get("accountsChecked")).as("accountsChecked").isNotNull();
        assertThat(report.get("accountsChecked").isIntegralNumber()).as("accountsChecked is an integer").isTrue();
        assertThat(report.get("mismatches")).as("mismatches").isNotNull();
        assertThat(report.get("mismatches").isArray()).as("mismatches is an array").isTrue();
        assertThat(report.get("balanced")).as("balanced").isNotNull();
        assertThat(report.get("balanced").isBoolean()).as("balanced is a boolean").isTrue();
    }

    private static List<JsonNode> mismatchesOf(JsonNode report, String account) {
        return java.util.stream.StreamSupport.stream(report.get("mismatches").spliterator(), false)
                .filter(mismatch -> account.equals(mismatch.path("accountId").asText())).toList();
    }

    /** Moves the read model's balance of one account by {@code delta}, behind the service's back. */
    private static void corrupt(String account, long delta) {
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement update = connection.prepareStatement(
                     "update account_balance set balance = balance + ? where account_id = ?")) {
            update.setLong(1, delta);
            update.setString(2, account);
            assertThat(update.executeUpdate()).as("read-model rows of %s", account).isEqualTo(1);
        } catch (SQLException failure) {
            throw new IllegalStateException(failure);
        }
    }

    private static long count(String sql) {
        return TestDatabase.get().queryLong(sql);
    }

    private static LedgerCommand.Result runBatch() throws IOException, InterruptedException {
        return LedgerCommand.run("reconcile");
    }

    private static LedgerCommand.Result runBatch(String databaseUrl) throws IOException, InterruptedException {
        return LedgerCommand.runOn(databaseUrl, "reconcile");
    }
}

package dev.ledger.api.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.api.transfer.BankWorkload.Account;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Proves, after Jepsen's bank workload, that concurrent transfers with lost and duplicated
 * requests neither create nor destroy money: every balance snapshot sums to what was funded and
 * keeps each account above its overdraft limit, each acknowledged transfer is booked exactly once
 * on both sides and nothing else is, and reconciliation finds the ledger balanced, both while the
 * transfers run and after.
 */
class BankInvariantTest extends IntegrationTest {

    /** A currency no other test uses, so the snapshot's total for it is the bank's alone. */
    private static final String CURRENCY = "CHF";
    private static final int CLIENTS = 8;
    private static final Duration RUN = Duration.ofSeconds(12);

    private static void awaitUntil(long deadlineNanos, BankWorkload bank) {
        while (System.nanoTime() < deadlineNanos && bank.problems().isEmpty()) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
    }

    @Test
    void random_transfers_with_lost_and_duplicated_requests_keep_every_snapshot_balanced() throws Exception {
        long[] overdraftLimits = {0, 0, 0, 500, 1000, 2000, 0, 0, 5000, 0};
        long[] funds = {10_000, 10_000, 500, 10_000, 3_000, 10_000, 7_500, 10_000, 1_000, 10_000};
        List<Account> accounts = new ArrayList<>();
        for (int i = 0; i < overdraftLimits.length; i++) {
            accounts.add(new Account(unique("bank" + i), overdraftLimits[i], funds[i]));
        }
        BankWorkload bank = new BankWorkload(CURRENCY, accounts, () -> ledger, ledger, true);
        bank.open(ledger);

        Reply reconciledMidRun;
        try {
            bank.start(CLIENTS);
            long until = System.nanoTime() + RUN.toNanos();
            awaitUntil(System.nanoTime() + RUN.toNanos() / 2, bank);
            // While transfers commit and are relayed: versions not yet applied must count as on their way.
            reconciledMidRun = ledger.post("/api/v1/reconciliations", unique("reconcile"), null, "{}");
            awaitUntil(until, bank);
            bank.stopClients();
        } finally {
            bank.close();
        }
        System.out.println(bank.summary());

        assertThat(bank.problems()).as("problems seen while the workload ran").isEmpty();
        assertThat(bank.acknowledged()).as("acknowledged transfers").hasSizeGreaterThanOrEqualTo(20);
        assertThat(bank.refusedForGood()).as("transfers refused for good").isNotEmpty();
        assertThat(bank.resent.get()).as("requests resent under the same key").isPositive();
        assertThat(bank.twins.get()).as("requests sent twice at once").isPositive();
        assertThat(bank.retriedAfterRefusal.get()).as("refused transfers sent again under a new key").isPositive();
        assertThat(bank.snapshots.get()).as("snapshots taken while transfers ran").isGreaterThanOrEqualTo(5);
        assertThat(bank.distinctCuts()).as("distinct balance cuts the snapshots saw").isGreaterThanOrEqualTo(2);

        assertThat(reconciledMidRun.status()).as(reconciledMidRun.body()).isEqualTo(200);
        assertThat(reconciledMidRun.json().get("balanced").asBoolean()).as("reconciliation while transfers ran: %s",
                reconciledMidRun.body()).isTrue();

        bank.verify(ledger);

        Reply reconciliation = ledger.post("/api/v1/reconciliations", unique("reconcile"), null, "{}");
        assertThat(reconciliation.status()).as(reconciliation.body()).isEqualTo(200);
        JsonNode report = reconciliation.json();
        assertThat(report.get("mismatches")).as(reconciliation.body()).isEmpty();
        assertThat(report.get("balanced").asBoolean()).as(reconciliation.body()).isTrue();
        assertThat(report.get("accountsChecked").asLong()).isGreaterThanOrEqualTo(accounts.size());
    }
}

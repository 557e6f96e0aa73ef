package dev.ledger.api.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.api.transfer.BankWorkload.Account;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient;
import dev.ledger.support.LedgerClient.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Proves that killing the service process abruptly (SIGKILL) in the middle of the bank workload
 * and starting it again on the same database loses no acknowledged transfer and applies none
 * twice: clients that lost their answers retry under the same key until answered, and afterwards
 * every acknowledged transfer is booked exactly once on both sides, the totals hold and
 * reconciliation finds the ledger balanced.
 */
class CrashRecoveryBankTest extends IntegrationTest {

    /** A currency no other test uses, so the snapshot's total for it is this bank's alone. */
    private static final String CURRENCY = "NOK";
    private static final int CLIENTS = 6;
    /** Start-up of a whole service JVM on a busy 2-core machine. */
    private static final Duration START_WAIT_MAX = Duration.ofSeconds(150);
    private static final Duration PROGRESS_WAIT_MAX = Duration.ofSeconds(60);
    private static final int ACKS_PER_PHASE = 15;
    /** The exit status of a process ended by SIGKILL (128 + 9). */
    private static final int KILLED = 137;

    private static final List<ForkedLedger> FORKED = new CopyOnWriteArrayList<>();

    @AfterAll
    static void killForkedServices() throws InterruptedException {
        for (ForkedLedger service : FORKED) {
            service.close();
        }
    }

    @Test
    void killing_the_service_mid_run_loses_no_acknowledged_transfer_and_applies_none_twice() throws Exception {
        ForkedLedger first = fork("first");
        long[] overdraftLimits = {0, 1000, 0, 0, 2500, 0, 0, 500, 0, 0};
        long[] funds = {10_000, 10_000, 800, 10_000, 4_000, 10_000, 10_000, 2_000, 10_000, 6_000};
        List<Account> accounts = new ArrayList<>();
        for (int i = 0; i < overdraftLimits.length; i++) {
            accounts.add(new Account(unique("crash" + i), overdraftLimits[i], funds[i]));
        }
        AtomicReference<LedgerClient> target = new AtomicReference<>();
        // Snapshots and the final checks go to the in-process service, which stays up throughout.
        BankWorkload bank = new BankWorkload(CURRENCY, accounts, target::get, ledger, false);
        bank.open(ledger);
        first.awaitHealthy(START_WAIT_MAX);
        target.set(first.client());

        ForkedLedger second;
        long lostBeforeKill;
        long ackedAtKill;
        long ackedAtRestart;
        try {
            bank.start(CLIENTS);
            awaitOrFail(() -> bank.acknowledged().size() >= ACKS_PER_PHASE || !bank.problems().isEmpty(),
                    "transfers acknowledged by the first service");
            assertThat(bank.problems()).as("problems before the crash").isEmpty();

            lostBeforeKill = bank.lostConnections.get();
            ackedAtKill = bank.acknowledged().size();
            first.kill();
            assertThat(first.exitValue()).as("exit status of the killed service").isEqualTo(KILLED);

            second = fork("second");
            target.set(second.client());
            second.awaitHealthy(START_WAIT_MAX);
            ackedAtRestart = bank.acknowledged().size();
            awaitOrFail(() -> bank.acknowledged().size() >= ackedAtRestart + ACKS_PER_PHASE
                    || !bank.problems().isEmpty(), "transfers acknowledged by the restarted service");
            bank.stopClients();
        } finally {
            bank.close();
        }
        System.out.printf("acknowledged at the kill: %d, at the restart: %d; connections lost before the kill: %d;"
                + " %s%n", ackedAtKill, ackedAtRestart, lostBeforeKill, bank.summary());

        assertThat(bank.problems()).as("problems seen while the workload ran").isEmpty();
        assertThat(bank.recovered.get()).as("requests cut off by the crash, sent again and answered").isPositive();
        assertThat(bank.acknowledged().size()).isGreaterThanOrEqualTo((int) ackedAtRestart + ACKS_PER_PHASE);
        assertThat(second.isAlive()).as("the restarted service is still up").isTrue();

        bank.verify(ledger);

        Reply reconciliation = ledger.post("/api/v1/reconciliations", unique("reconcile"), null, "{}");
        assertThat(reconciliation.status()).as(reconciliation.body()).isEqualTo(200);
        JsonNode report = reconciliation.json();
        assertThat(report.get("mismatches")).as(reconciliation.body()).isEmpty();
        assertThat(report.get("balanced").asBoolean()).as(reconciliation.body()).isTrue();

        second.close();
    }

    private static ForkedLedger fork(String name) {
        ForkedLedger service = ForkedLedger.start(name);
        FORKED.add(service);
        return service;
    }

    private static void awaitOrFail(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + PROGRESS_WAIT_MAX.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + PROGRESS_WAIT_MAX + " waiting for " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }
}

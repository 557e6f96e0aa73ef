package dev.ledger.api.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.support.IntegrationTest;
import dev.ledger.support.Poll;
import dev.ledger.support.Projections;
import dev.ledger.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Proves that the relay times its rounds ({@code ledger_relay_round_seconds}) and that a round's
 * time is all of it: a round held up by a lock on the read model is counted over 200 ms.
 */
class RelayRoundMetricsTest extends IntegrationTest {

    private static final String ROUNDS = "ledger_relay_round_seconds";
    private static final String UNDER_200_MS = ROUNDS + "_bucket{le=\"0.2\"}";

    @Test
    void a_round_held_up_by_a_lock_is_timed_with_its_wait() throws Exception {
        String account = unique("relay-round");
        Api.created(ledger.openAccount(account, "EUR", 0));
        Projections.awaitSettled();
        Scrape before = Scrape.of(ledger);
        assertThat(before.text()).contains("# TYPE " + ROUNDS + " histogram");

        try (Connection lock = TestDatabase.get().connect()) {
            lock.setAutoCommit(false);
            int pid = (int) TestDatabase.queryLong(lock, "select pg_backend_pid()");
            try (PreparedStatement row = lock.prepareStatement(
                    "select version from account_balance where account_id = ? for update")) {
                row.setString(1, account);
                try (ResultSet rs = row.executeQuery()) {
                    assertThat(rs.next()).as("the account's read-model row").isTrue();
                }
            }

            Api.created(ledger.deposit(account, 100, "EUR"));

            // The relay's round has read the deposit's row and waits for this transaction's lock.
            Poll.until("a relay round waiting for the read-model row's lock", Duration.ofSeconds(20),
                    () -> countBlockedBy(pid), blocked -> blocked > 0);
            // The server, not this thread, holds the round up a quarter of a second more.
            TestDatabase.queryLong(lock, "select 1 from pg_sleep(0.25)");
            lock.commit();
        }
        Projections.awaitSettled();

        Scrape after = Scrape.of(ledger);
        double rounds = after.value(ROUNDS + "_count") - before.value(ROUNDS + "_count");
        double quick = after.value(UNDER_200_MS) - before.value(UNDER_200_MS);
        assertThat(rounds).as("rounds that delivered rows").isGreaterThanOrEqualTo(1);
        assertThat(rounds - quick).as("rounds over 200 ms: the one that waited for the lock").isGreaterThanOrEqualTo(1);
        assertThat(after.value(ROUNDS + "_sum") - before.value(ROUNDS + "_sum")).as("seconds the rounds took")
                .isGreaterThanOrEqualTo(0.25);
        assertThat(after.value(ROUNDS + "_bucket{le=\"+Inf\"}")).as("every round in a bucket")
                .isEqualTo(after.value(ROUNDS + "_count"));
        assertThat(ledger.account(account).json().get("balance").asLong()).as("the deposit got through")
                .isEqualTo(100);
    }

    private static int countBlockedBy(int pid) {
        return (int) TestDatabase.get().queryLong(
                "select count(*) from pg_stat_activity where ? = any(pg_blocking_pids(pid))", pid);
    }
}

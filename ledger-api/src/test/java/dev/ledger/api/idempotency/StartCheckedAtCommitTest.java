package dev.ledger.api.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.domain.account.DepositMoneyCommand;
import dev.ledger.domain.account.Origin;
import dev.ledger.infra.command.AccountLocks;
import dev.ledger.infra.eventstore.AggregateCache;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.TestDatabase;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Proves the start of a write on cached accounts that goes with its rows and commit (one round
 * trip): the write runs at once on the cached account, and the pipeline that writes its rows takes
 * the account's lock and checks what the write assumed. When an assumption does not hold (another
 * instance wrote to the account, the key is in flight, an answer is stored for the key), nothing of
 * the attempt is kept and the write runs again with a start of its own, so the client gets exactly
 * the answer the careful way gives.
 */
class StartCheckedAtCommitTest extends IntegrationTest {

    @Autowired
    private MeterRegistry meters;

    @Autowired
    private AggregateCache cache;

    @Autowired
    private AccountLocks locks;

    @Autowired
    private CommandGateway commandGateway;

    @Autowired
    private PlatformTransactionManager transactionManager;

    @Test
    void a_write_on_a_cached_account_is_checked_at_commit_and_kept() {
        String account = opened();
        double checkedBefore = checked();
        double failedBefore = failed();

        Reply deposit = ledger.deposit(account, 25, "EUR");

        assertThat(deposit.status()).as(deposit.body()).isEqualTo(201);
        assertThat(deposit.json().get("version").asLong()).isEqualTo(2);
        assertThat(deposit.json().get("balance").asLong()).isEqualTo(25);
        assertThat(checked()).as("starts checked at commit").isEqualTo(checkedBefore + 1);
        assertThat(failed()).as("checks that failed").isEqualTo(failedBefore);
        assertThat(LedgerRows.events(account)).isEqualTo(2);
    }

    @Test
    void a_refusal_decided_on_an_account_another_instance_has_written_since_is_not_kept() {
        String account = opened();
        Object asCached = locks.withLocks(List.of(account), () -> cache.get(account));
        assertThat(asCached).as("the opened account, cached").isNotNull();
        // Another instance deposits 100, outside this process's locks (its cache entry leaves);
        // then this process is made to believe the account is still as it cached it: balance 0.
        new TransactionTemplate(transactionManager).executeWithoutResult(status -> commandGateway.sendAndWait(
                new DepositMoneyCommand(account, "entry-other", 100, "EUR", null, null,
                        new Origin(Instant.now(), "request-other", "other-instance"))));
        locks.withLocks(List.of(account), () -> {
            cache.put(account, asCached);
            return null;
        });
        double checkedBefore = checked();
        double failedBefore = failed();

        Reply withdrawal = ledger.withdraw(account, 60, "EUR");

        assertThat(withdrawal.status()).as("decided on the stored account, not the cached one: "
                + withdrawal.body()).isEqualTo(201);
        assertThat(withdrawal.json().get("version").asLong()).isEqualTo(3);
        assertThat(withdrawal.json().get("balance").asLong()).isEqualTo(40);
        assertThat(checked()).isEqualTo(checkedBefore + 1);
        assertThat(failed()).as("checks that failed").isEqualTo(failedBefore + 1);
        assertThat(LedgerRows.events(account)).isEqualTo(3);
    }

    @Test
    void a_key_in_flight_is_refused_as_in_flight_and_nothing_of_the_attempt_is_kept() throws Exception {
        String account = opened();
        String key = unique("in-flight");
        String lockKey = LedgerRows.CLIENT + "\n" + key;
        double failedBefore = failed();
        try (Connection holder = TestDatabase.get().connect()) {
            assertThat(advisory(holder, "select pg_advisory_lock(hashtextextended(?, 0)) is not null", lockKey))
                    .isTrue();

            Reply inFlight = deposit(account, key, 10);

            assertThat(inFlight.status()).as(inFlight.body()).isEqualTo(409);
            assertThat(inFlight.body()).contains("idempotency-key-in-flight");
            assertThat(failed()).as("checks that failed").isEqualTo(failedBefore + 1);
            assertThat(LedgerRows.events(account)).isEqualTo(1);
            assertThat(LedgerRows.inboxRows(key)).isZero();
            assertThat(advisory(holder, "select pg_advisory_unlock(hashtextextended(?, 0))", lockKey)).isTrue();
        }

        Reply released = deposit(account, key, 10);
        assertThat(released.status()).as(released.body()).isEqualTo(201);
        assertThat(released.json().get("version").asLong()).isEqualTo(2);
        assertThat(released.json().get("balance").asLong()).isEqualTo(10);
    }

    @Test
    void a_key_with_a_stored_answer_is_replayed_and_nothing_of_the_attempt_is_kept() {
        String account = opened();
        String key = unique("again");
        Reply first = deposit(account, key, 30);
        assertThat(first.status()).as(first.body()).isEqualTo(201);
        double failedBefore = failed();

        Reply replay = deposit(account, key, 30);

        assertThat(replay.status()).as(replay.body()).isEqualTo(201);
        assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(replay.json()).isEqualTo(first.json());
        assertThat(failed()).as("checks that failed (the answer's insert, on the key)").isEqualTo(failedBefore + 1);
        assertThat(LedgerRows.events(account)).as("deposited once").isEqualTo(2);
        assertThat(ledger.account(account).json().get("balance").asLong()).isEqualTo(30);
    }

    /** An account with no money, opened here, so this process has it cached. */
    private String opened() {
        String account = unique("checked");
        assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);
        assertThat(locks.withLocks(List.of(account), () -> cache.versionsIfAllCached(List.of(account))))
                .as("the opened account's cached version").isEqualTo(Map.of(account, 0L));
        return account;
    }

    private Reply deposit(String account, String key, long amount) {
        return ledger.post("/api/v1/accounts/" + account + "/deposits", key, null,
                "{\"amount\":" + amount + ",\"currency\":\"EUR\"}");
    }

    private double checked() {
        return meters.get("ledger.commands.start.checked").counter().count();
    }

    private double failed() {
        return meters.get("ledger.commands.start.checks.failed").counter().count();
    }

    private static boolean advisory(Connection connection, String sql, String lockKey) throws Exception {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, lockKey);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() && rows.getBoolean(1);
            }
        }
    }
}

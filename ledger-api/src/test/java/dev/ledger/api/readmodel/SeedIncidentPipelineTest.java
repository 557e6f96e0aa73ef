package dev.ledger.api.readmodel;

import static java.util.concurrent.TimeUnit.NANOSECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.support.Poll;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.Projections;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Proves that the seed incident cannot happen anywhere in the pipeline: for accounts credited
 * 1000 and then debited 800 from different threads, concurrently, no withdrawal is refused and
 * neither the read model nor the global feed ever applies a withdrawal before its deposit.
 */
class SeedIncidentPipelineTest extends IntegrationTest {

    private static final int ACCOUNTS = 20;

    @Test
    void deposit_then_withdrawal_on_twenty_accounts_at_once_is_observed_by_every_consumer_in_that_order()
            throws Exception {
        String prefix = "seed-pipeline-" + UUID.randomUUID() + "-";
        List<String> accounts = new ArrayList<>();
        for (int i = 0; i < ACCOUNTS; i++) {
            accounts.add(prefix + i);
        }
        String observed = Rows.identifier("seed_observed");
        try {
            // Every event the consumer applies for these accounts (its feed row, written with the
            // balance in one transaction), in the order it applied them.
            Rows.execute("create table " + observed + " (seq bigserial primary key, account_id varchar(64) not null,"
                            + " version bigint not null, type varchar(32) not null, txid bigint not null,"
                            + " observed_at timestamp with time zone not null)",
                    "create function " + observed + "_record() returns trigger language plpgsql as $$ begin"
                            + " insert into " + observed + " (account_id, version, type, txid, observed_at)"
                            + " values (new.account_id, new.version, new.type, txid_current(), clock_timestamp());"
                            + " return null; end $$",
                    "create trigger " + observed + "_on_feed after insert on event_feed for each row"
                            + " when (new.account_id like " + Rows.literal(prefix + "%") + ")"
                            + " execute function " + observed + "_record()");
            for (String account : accounts) {
                Api.created(ledger.openAccount(account, "EUR", 0));
            }

            List<Pair> pairs = depositThenWithdrawEverywhere(accounts);

            for (Pair pair : pairs) {
                JsonNode deposit = Api.created(pair.deposit());
                assertThat(deposit.get("version").asLong()).isEqualTo(2);
                assertThat(deposit.get("balance").asLong()).isEqualTo(1000);
                assertThat(pair.withdrawal().status()).as("withdrawal of %s: %s", pair.account(), pair.withdrawal())
                        .isEqualTo(201);
                JsonNode withdrawal = pair.withdrawal().json();
                assertThat(withdrawal.get("version").asLong()).isEqualTo(3);
                assertThat(withdrawal.get("balance").asLong()).isEqualTo(200);
                assertThat(pair.withdrawingThread()).isNotEqualTo(pair.depositingThread());
            }
            Projections.awaitSettled();

            Map<String, List<List<Object>>> seen = new HashMap<>();
            for (List<Object> row : Rows.query("select account_id, version, type, seq, txid, observed_at from "
                    + observed + " order by seq")) {
                seen.computeIfAbsent((String) row.get(0), id -> new ArrayList<>()).add(row);
            }
            Map<String, Long> feedPositions = new HashMap<>();
            for (List<Object> row : Rows.query("select account_id, version, position from event_feed"
                    + " where account_id like ?", prefix + "%")) {
                feedPositions.put(row.get(0) + "#" + row.get(1), ((Number) row.get(2)).longValue());
            }
            for (String account : accounts) {
                List<List<Object>> rows = seen.get(account);
                assertThat(rows).as("read-model applications of %s, in order", account).isNotNull()
                        .extracting(row -> row.get(2)).containsExactly("ACCOUNT_OPENED", "DEPOSIT", "WITHDRAWAL");
                assertThat(rows).extracting(row -> ((Number) row.get(1)).longValue()).containsExactly(1L, 2L, 3L);
                long depositSeq = ((Number) rows.get(1).get(3)).longValue();
                long withdrawalSeq = ((Number) rows.get(2).get(3)).longValue();
                assertThat(depositSeq).as("%s: deposit observed before withdrawal in %s", account, rows)
                        .isLessThan(withdrawalSeq);

                Long depositPosition = feedPositions.get(account + "#2");
                Long withdrawalPosition = feedPositions.get(account + "#3");
                assertThat(depositPosition).as("feed position of the deposit of %s", account).isNotNull();
                assertThat(withdrawalPosition).as("feed position of the withdrawal of %s", account).isNotNull();
                assertThat(depositPosition).as("feed: deposit before withdrawal of %s", account)
                        .isLessThan(withdrawalPosition);
                assertThat(Rows.count("select position from account_balance where account_id = ?", account))
                        .as("the balance of %s is the one its withdrawal's feed position produced", account)
                        .isEqualTo(withdrawalPosition);

                Reply read = ledger.get("/api/v1/accounts/" + account);
                assertThat(read.status()).as(read.body()).isEqualTo(200);
                assertThat(read.json().get("balance").asLong()).as("balance of %s", account).isEqualTo(200);
                assertThat(read.json().get("version").asLong()).isEqualTo(3);
                List<JsonNode> history = Api.history(ledger, account);
                assertThat(history).extracting(item -> item.get("type").asText())
                        .containsExactly("ACCOUNT_OPENED", "DEPOSIT", "WITHDRAWAL");
            }
        } finally {
            Rows.executeAll("drop trigger if exists " + observed + "_on_feed on event_feed",
                    "drop function if exists " + observed + "_record()",
                    "drop table if exists " + observed);
        }
    }

    /**
     * Deposits 1000 into every account from one pool of threads, all released at once; as each
     * deposit is answered, a thread of a second pool withdraws 800 from the same account.
     */
    private List<Pair> depositThenWithdrawEverywhere(List<String> accounts) throws Exception {
        ExecutorService depositors = Executors.newFixedThreadPool(accounts.size());
        ExecutorService withdrawers = Executors.newFixedThreadPool(accounts.size());
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<CompletableFuture<Pair>> pairs = new ArrayList<>();
            for (String account : accounts) {
                pairs.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        if (!start.await(Poll.WAIT.toSeconds(), SECONDS)) {
                            throw new IllegalStateException(new TimeoutException("the start gate never opened"));
                        }
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(interrupted);
                    }
                    return new Pair(account, ledger.deposit(account, 1000, "EUR"), Thread.currentThread().getName(),
                            null, null);
                }, depositors).thenApplyAsync(deposited -> new Pair(account, deposited.deposit(),
                        deposited.depositingThread(), ledger.withdraw(account, 800, "EUR"),
                        Thread.currentThread().getName()), withdrawers));
            }
            start.countDown();
            long deadline = System.nanoTime() + 2 * Poll.WAIT.toNanos();
            List<Pair> done = new ArrayList<>();
            for (CompletableFuture<Pair> pair : pairs) {
                done.add(pair.get(Math.max(0, deadline - System.nanoTime()), NANOSECONDS));
            }
            return done;
        } finally {
            start.countDown();
            depositors.shutdownNow();
            withdrawers.shutdownNow();
            assertThat(depositors.awaitTermination(Poll.WAIT.toSeconds(), SECONDS)).isTrue();
            assertThat(withdrawers.awaitTermination(Poll.WAIT.toSeconds(), SECONDS)).isTrue();
        }
    }

    private record Pair(String account, Reply deposit, String depositingThread, Reply withdrawal,
                        String withdrawingThread) {
    }
}

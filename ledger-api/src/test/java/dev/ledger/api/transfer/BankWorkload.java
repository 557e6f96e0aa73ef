package dev.ledger.api.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.support.LedgerClient;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.Projections;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Jepsen's bank workload against the ledger: a fixed set of funded accounts, client threads moving
 * random amounts between them, clients that lose answers and send again under the same
 * Idempotency-Key (some twice at once), and a reader taking balance snapshots all the while.
 *
 * <p>Every request is sent until it has an answer (a lost connection, a 409 in flight or a 503
 * is retried under the same key, as the contract allows), so at the end each transfer is either
 * acknowledged (201) or refused (422 insufficient funds). Whatever does not add up is collected
 * in {@link #problems()} rather than thrown in a worker thread, and {@link #verify} checks the
 * ledger against the outcomes once the clients stopped.
 */
final class BankWorkload {

    private static final String TRANSFERS = "/api/v1/transfers";
    private static final long AMOUNT_MAX = 3000;
    private static final Duration ANSWER_WAIT_MAX = Duration.ofSeconds(150);
    private static final Duration THREADS_END_WAIT_MAX = Duration.ofSeconds(180);

    /** A funded account of the bank; its balance may go down to minus its overdraft limit. */
    record Account(String id, long overdraftLimit, long funds) {
    }

    /** A transfer the service acknowledged with 201, and the versions it answered. */
    record Ack(String transferId, String from, String to, long amount, long fromVersion, long toVersion,
               JsonNode body) {
    }

    private final String currency;
    private final List<Account> accounts;
    private final Map<String, Account> byId = new LinkedHashMap<>();
    private final long fundedTotal;
    private final long unreachable;
    private final Supplier<LedgerClient> writes;
    private final LedgerClient reads;
    private final boolean noCrash;
    private final long seed;

    private final ConcurrentMap<String, Ack> acknowledged = new ConcurrentHashMap<>();
    private final Set<String> refused = ConcurrentHashMap.newKeySet();
    private final Queue<String> problems = new ConcurrentLinkedQueue<>();

    final AtomicLong operations = new AtomicLong();
    final AtomicLong resent = new AtomicLong();
    final AtomicLong twins = new AtomicLong();
    final AtomicLong retriedAfterRefusal = new AtomicLong();
    final AtomicLong replayed = new AtomicLong();
    final AtomicLong inFlight = new AtomicLong();
    final AtomicLong overloaded = new AtomicLong();
    final AtomicLong lostConnections = new AtomicLong();
    /** Requests that lost a connection (or the service) on the way and were answered on a later attempt. */
    final AtomicLong recovered = new AtomicLong();
    /** Of those, the ones whose answer was a replay: executed before the loss, the answer never arrived. */
    final AtomicLong recoveredReplays = new AtomicLong();
    final AtomicLong snapshots = new AtomicLong();
    private final Set<String> distinctCuts = ConcurrentHashMap.newKeySet();

    private volatile boolean clientsRunning;
    private volatile boolean readerRunning;
    private ExecutorService clients;
    private ExecutorService twinSenders;
    private ExecutorService reader;
    private final List<Future<?>> clientTasks = new ArrayList<>();
    private Future<?> readerTask;
    private long lastPosition = -1;
    /** The global feed's last position before the bank's accounts were opened. */
    private long feedStart;
    private final Map<String, Long> lastVersions = new HashMap<>();

    /**
     * @param writes  where clients send transfers, asked anew for every attempt (a crash test points
     *                it at the restarted service)
     * @param reads   where the reader takes snapshots and the verification reads
     * @param noCrash whether the service runs undisturbed: then of two requests sent at once under
     *                one key exactly one is executed, the other replayed (after a crash both may be
     *                replays of an answer whose first delivery was lost)
     */
    BankWorkload(String currency, List<Account> accounts, Supplier<LedgerClient> writes, LedgerClient reads,
                 boolean noCrash) {
        this.currency = currency;
        this.accounts = List.copyOf(accounts);
        this.accounts.forEach(account -> byId.put(account.id(), account));
        this.fundedTotal = accounts.stream().mapToLong(Account::funds).sum();
        // No balance can exceed what was funded plus what every other account may owe.
        this.unreachable = fundedTotal + accounts.stream().mapToLong(Account::overdraftLimit).sum() + 1;
        this.writes = writes;
        this.reads = reads;
        this.noCrash = noCrash;
        this.seed = System.nanoTime();
    }

    long fundedTotal() {
        return fundedTotal;
    }

    Map<String, Ack> acknowledged() {
        return acknowledged;
    }

    Queue<String> problems() {
        return problems;
    }

    /** Opens and funds the accounts and waits until the read model has them. */
    void open(LedgerClient ledger) {
        Projections.awaitSettled();
        feedStart = Rows.count("select coalesce(max(position), 0) from event_feed");
        for (Account account : accounts) {
            Reply opened = ledger.openAccount(account.id(), currency, account.overdraftLimit());
            assertThat(opened.status()).as(opened.body()).isEqualTo(201);
            Reply funded = ledger.deposit(account.id(), account.funds(), currency);
            assertThat(funded.status()).as(funded.body()).isEqualTo(201);
        }
        Projections.awaitSettled();
    }

    /** Starts the snapshot reader and {@code threads} clients; they run until {@link #stopClients}. */
    void start(int threads) {
        System.out.printf("bank workload in %s, seed %d%n", currency, seed);
        clientsRunning = true;
        readerRunning = true;
        clients = Executors.newFixedThreadPool(threads);
        twinSenders = Executors.newFixedThreadPool(threads);
        reader = Executors.newSingleThreadExecutor();
        readerTask = reader.submit(this::readSnapshots);
        for (int c = 0; c < threads; c++) {
            int client = c;
            clientTasks.add(clients.submit(() -> runClient(client)));
        }
    }

    /**
     * Lets every client finish the request it is on (each is sent until answered), then stops the
     * reader after one last snapshot. Bounded: fails if a thread does not end in time.
     */
    void stopClients() throws Exception {
        clientsRunning = false;
        long deadline = System.nanoTime() + THREADS_END_WAIT_MAX.toNanos();
        try {
            for (Future<?> task : clientTasks) {
                task.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } finally {
            readerRunning = false;
            if (readerTask != null) {
                readerTask.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        }
    }

    /** Ends every thread the workload started; for finally blocks. */
    void close() throws InterruptedException {
        clientsRunning = false;
        readerRunning = false;
        for (ExecutorService pool : new ExecutorService[] {clients, twinSenders, reader}) {
            if (pool != null) {
                pool.shutdownNow();
                if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("workload threads did not end");
                }
            }
        }
    }

    // ---- clients -------------------------------------------------------------------------------

    private void runClient(int client) {
        SplittableRandom random = new SplittableRandom(seed + client);
        for (long n = 0; clientsRunning; n++) {
            try {
                operation(client, n, random);
            } catch (RuntimeException | AssertionError failure) {
                problems.add("client " + client + " failed: " + failure);
                return;
            }
        }
    }

    private void operation(int client, long n, SplittableRandom random) {
        operations.incrementAndGet();
        int fromIndex = random.nextInt(accounts.size());
        int toIndex = (fromIndex + 1 + random.nextInt(accounts.size() - 1)) % accounts.size();
        Account from = accounts.get(fromIndex);
        Account to = accounts.get(toIndex);
        // The first transfer of client 0 asks for more than any account can ever cover: one sure refusal.
        long amount = client == 0 && n == 0 ? unreachable : random.nextLong(1, AMOUNT_MAX + 1);
        String transferId = "bk-" + UUID.randomUUID();
        String key = "bk-key-" + UUID.randomUUID();
        String body = TransfersApiTest.body(transferId, from.id(), to.id(), amount, currency, null);

        Reply answer;
        if (n % 25 == 2) {
            answer = sendTwice(key, body);
        } else {
            answer = untilAnswered(key, body);
            if (n % 10 == 1) {
                // The answer was lost on the way: the client sends the same request again.
                resent.incrementAndGet();
                Reply again = untilAnswered(key, body);
                expectSameAnswer(key, answer, again);
                if (!"true".equals(again.header("Idempotent-Replayed"))) {
                    problems.add("resent " + key + " was not answered as a replay: " + again.headers().map());
                }
            }
        }
        record(transferId, from, to, amount, answer);
        if (answer.status() == 422 && n % 2 == 0) {
            // A client that still wants the money moved sends the refused transfer again, under a new key.
            retriedAfterRefusal.incrementAndGet();
            record(transferId, from, to, amount, untilAnswered("bk-key-" + UUID.randomUUID(), body));
        }
    }

    /** Sends one request from two threads at once, as two retries racing each other would. */
    private Reply sendTwice(String key, String body) {
        twins.incrementAndGet();
        Future<Reply> other = twinSenders.submit(() -> untilAnswered(key, body));
        Reply mine = untilAnswered(key, body);
        Reply theirs;
        try {
            theirs = other.get(ANSWER_WAIT_MAX.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception failure) {
            throw new IllegalStateException("the twin of " + key + " did not answer", failure);
        }
        expectSameAnswer(key, mine, theirs);
        long executed = List.of(mine, theirs).stream()
                .filter(reply -> !"true".equals(reply.header("Idempotent-Replayed"))).count();
        if (executed > 1 || (noCrash && executed != 1)) {
            problems.add("two requests under " + key + " were executed " + executed + " times");
        }
        return mine;
    }

    private void expectSameAnswer(String key, Reply first, Reply second) {
        if (first.status() != second.status() || !first.body().equals(second.body())) {
            problems.add("two answers under " + key + " differ: " + first + " / " + second);
        }
    }

    /**
     * Sends the request until the service answers it: a lost connection (the service is down), a
     * 409 in flight (the same key is being executed) and a 503 all mean "try again with the same
     * key". A 500 is a problem, though the request is still retried to learn its outcome.
     */
    private Reply untilAnswered(String key, String body) {
        long deadline = System.nanoTime() + ANSWER_WAIT_MAX.toNanos();
        boolean lostOnce = false;
        while (true) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no answer to " + key + " within " + ANSWER_WAIT_MAX);
            }
            Reply reply;
            try {
                reply = writes.get().post(TRANSFERS, key, null, body);
            } catch (UncheckedIOException lost) {
                lostConnections.incrementAndGet();
                lostOnce = true;
                pause(100);
                continue;
            }
            if (reply.status() == 409 && "idempotency-key-in-flight".equals(code(reply))) {
                inFlight.incrementAndGet();
                pause(20);
                continue;
            }
            if (reply.status() == 503) {
                overloaded.incrementAndGet();
                pause(50);
                continue;
            }
            if (reply.status() >= 500) {
                problems.add("server error for " + key + ": " + reply);
                pause(50);
                continue;
            }
            boolean replay = "true".equals(reply.header("Idempotent-Replayed"));
            if (replay) {
                replayed.incrementAndGet();
            }
            if (lostOnce) {
                recovered.incrementAndGet();
                if (replay) {
                    recoveredReplays.incrementAndGet();
                }
            }
            return reply;
        }
    }

    private void record(String transferId, Account from, Account to, long amount, Reply answer) {
        if (answer.status() == 201) {
            JsonNode body = answer.json();
            if (!transferId.equals(body.path("transferId").asText()) || !from.id().equals(body.path("fromAccountId")
                    .asText()) || !to.id().equals(body.path("toAccountId").asText())
                    || body.path("amount").asLong() != amount || !"COMPLETED".equals(body.path("status").asText())) {
                problems.add("201 body does not match its request " + transferId + ": " + answer.body());
            }
            Ack ack = new Ack(transferId, from.id(), to.id(), amount, body.path("fromVersion").asLong(),
                    body.path("toVersion").asLong(), body);
            Ack earlier = acknowledged.putIfAbsent(transferId, ack);
            if (earlier != null && !earlier.body().equals(body)) {
                problems.add("transfer " + transferId + " acknowledged twice differently: " + earlier.body() + " / "
                        + body);
            }
            refused.remove(transferId);
        } else if (answer.status() == 422 && "insufficient-funds".equals(code(answer))) {
            if (!acknowledged.containsKey(transferId)) {
                refused.add(transferId);
            }
        } else {
            problems.add("unexpected answer to transfer " + transferId + ": " + answer);
        }
    }

    // ---- snapshot reader -----------------------------------------------------------------------

    private void readSnapshots() {
        try {
            while (readerRunning) {
                takeSnapshot();
                pause(10);
            }
            takeSnapshot();
        } catch (RuntimeException | AssertionError failure) {
            problems.add("snapshot reader failed: " + failure);
        }
    }

    /** Takes a balance snapshot and checks it; returns our accounts' balances in it. */
    Map<String, Long> takeSnapshot() {
        Reply reply = reads.get("/api/v1/reports/balances");
        if (reply.status() != 200) {
            problems.add("balance snapshot answered " + reply);
            pause(50);
            return Map.of();
        }
        snapshots.incrementAndGet();
        return check(reply.json());
    }

    private synchronized Map<String, Long> check(JsonNode snapshot) {
        long position = snapshot.path("asOfPosition").asLong(-1);
        if (position < lastPosition) {
            problems.add("asOfPosition went back from " + lastPosition + " to " + position);
        }
        lastPosition = Math.max(lastPosition, position);
        Map<String, Long> balances = new LinkedHashMap<>();
        for (JsonNode item : snapshot.path("accounts")) {
            String id = item.path("accountId").asText();
            Account account = byId.get(id);
            if (account == null) {
                continue;
            }
            long balance = item.path("balance").asLong();
            long version = item.path("version").asLong();
            balances.put(id, balance);
            if (balance < -account.overdraftLimit()) {
                problems.add("snapshot at " + position + " shows " + id + " at " + balance + ", below its overdraft"
                        + " limit of " + account.overdraftLimit());
            }
            Long previous = lastVersions.put(id, version);
            if (previous != null && version < previous) {
                problems.add("snapshot at " + position + " shows " + id + " at version " + version + " after "
                        + previous);
            }
        }
        if (balances.size() != accounts.size()) {
            problems.add("snapshot at " + position + " holds " + balances.size() + " of the " + accounts.size()
                    + " accounts");
        }
        long sum = balances.values().stream().mapToLong(Long::longValue).sum();
        if (sum != fundedTotal) {
            problems.add("snapshot at " + position + " sums to " + sum + ", not the funded " + fundedTotal + ": "
                    + balances);
        }
        long currencyTotal = Long.MIN_VALUE;
        for (JsonNode total : snapshot.path("totals")) {
            if (total.path("currency").asText().equals(currency)) {
                currencyTotal = total.path("balance").asLong();
            }
        }
        if (currencyTotal != fundedTotal) {
            problems.add("snapshot at " + position + " totals " + currency + " at " + currencyTotal + ", not "
                    + fundedTotal);
        }
        distinctCuts.add(balances.toString());
        return balances;
    }

    int distinctCuts() {
        return distinctCuts.size();
    }

    // ---- verification --------------------------------------------------------------------------

    /**
     * Once the clients stopped: every acknowledged transfer is in the payer's history exactly once
     * as a debit and in the payee's exactly once as a credit, at the versions it answered; no other
     * transfer is in any history; the global feed relays every account's versions once and in order;
     * balances follow from the funding and the acknowledged transfers, in the histories, the read
     * model and a final snapshot; the transfer table agrees.
     */
    void verify(LedgerClient ledger) {
        assertThat(problems).as("problems seen while the workload ran").isEmpty();
        Projections.awaitSettled();

        Map<String, Long> expected = new LinkedHashMap<>();
        accounts.forEach(account -> expected.put(account.id(), account.funds()));
        acknowledged.values().forEach(ack -> {
            expected.merge(ack.from(), -ack.amount(), Long::sum);
            expected.merge(ack.to(), ack.amount(), Long::sum);
        });

        Map<String, List<JsonNode>> feed = feedOfTheBank(ledger);
        Map<String, JsonNode> debits = new HashMap<>();
        Map<String, JsonNode> credits = new HashMap<>();
        for (Account account : accounts) {
            History history = History.read(ledger, account.id());
            assertFeedMatches(feed.getOrDefault(account.id(), List.of()), history);
            for (JsonNode line : history.lines()) {
                String type = line.get("type").asText();
                if (!type.startsWith("TRANSFER_")) {
                    continue;
                }
                String transferId = line.get("transferId").asText();
                Map<String, JsonNode> legs = type.equals("TRANSFER_DEBIT") ? debits : credits;
                JsonNode earlier = legs.put(transferId, withAccount(line, account.id()));
                assertThat(earlier).as("a second %s of %s: %s and %s", type, transferId, earlier, line).isNull();
                Ack ack = acknowledged.get(transferId);
                assertThat(ack).as("%s of %s in %s, which was never acknowledged (refused: %s)", type, transferId,
                        account.id(), refused.contains(transferId)).isNotNull();
                boolean debit = type.equals("TRANSFER_DEBIT");
                assertThat(account.id()).as("account of the %s of %s", type, transferId)
                        .isEqualTo(debit ? ack.from() : ack.to());
                assertThat(line.get("amount").asLong()).as("amount of the %s of %s", type, transferId)
                        .isEqualTo(ack.amount());
                assertThat(line.get("version").asLong()).as("version of the %s of %s", type, transferId)
                        .isEqualTo(debit ? ack.fromVersion() : ack.toVersion());
                assertThat(line.get("balanceAfter").asLong()).as("balance after the %s of %s", type, transferId)
                        .isGreaterThanOrEqualTo(-account.overdraftLimit());
            }
            assertThat(history.balance()).as("balance of %s in its history", account.id())
                    .isEqualTo(expected.get(account.id()));
            JsonNode read = ledger.get("/api/v1/accounts/" + account.id()).json();
            assertThat(read.get("balance").asLong()).as("balance of %s in the read model", account.id())
                    .isEqualTo(expected.get(account.id()));
            assertThat(read.get("version").asLong()).as("version of %s in the read model", account.id())
                    .isEqualTo(history.version());
        }
        assertThat(debits.keySet()).as("transfers debited").isEqualTo(acknowledged.keySet());
        assertThat(credits.keySet()).as("transfers credited").isEqualTo(acknowledged.keySet());
        assertThat(expected.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(fundedTotal);

        long transferRows = 0;
        for (Account account : accounts) {
            transferRows += Rows.count("select count(*) from transfer where from_account_id = ?", account.id());
        }
        assertThat(transferRows).as("transfer rows from the bank's accounts").isEqualTo(acknowledged.size());
        Set<String> neverDone = new HashSet<>(refused);
        neverDone.removeAll(acknowledged.keySet());
        for (String transferId : neverDone) {
            assertThat(Rows.transfers(transferId)).as("transfer row of refused %s", transferId).isZero();
        }
        acknowledged.values().stream().limit(30).forEach(ack -> {
            Reply read = ledger.get(TRANSFERS + "/" + ack.transferId());
            assertThat(read.status()).as(read.body()).isEqualTo(200);
            assertThat(read.json()).isEqualTo(ack.body());
        });
        neverDone.stream().limit(10).forEach(transferId ->
                assertThat(ledger.get(TRANSFERS + "/" + transferId).status()).as("GET refused %s", transferId)
                        .isEqualTo(404));

        Map<String, Long> last = takeSnapshot();
        assertThat(problems).as("problems in the final snapshot").isEmpty();
        assertThat(last).as("final snapshot").isEqualTo(expected);
    }

    /**
     * The global feed after {@link #feedStart}, paged through, keeping the bank's accounts: positions
     * must strictly increase.
     */
    private Map<String, List<JsonNode>> feedOfTheBank(LedgerClient ledger) {
        Map<String, List<JsonNode>> feed = new HashMap<>();
        long after = feedStart;
        while (true) {
            Reply page = ledger.get("/api/v1/events?afterPosition=" + after + "&limit=1000");
            assertThat(page.status()).as(page.body()).isEqualTo(200);
            JsonNode items = page.json().get("items");
            if (items.isEmpty()) {
                return feed;
            }
            for (JsonNode item : items) {
                long position = item.get("position").asLong();
                assertThat(position).as("feed position after %d", after).isGreaterThan(after);
                after = position;
                String accountId = item.get("accountId").asText();
                if (byId.containsKey(accountId)) {
                    feed.computeIfAbsent(accountId, id -> new ArrayList<>()).add(item);
                }
            }
            assertThat(page.json().get("nextAfterPosition").asLong()).isEqualTo(after);
        }
    }

    /** The feed holds each version of the account once, in order, as its history has it. */
    private static void assertFeedMatches(List<JsonNode> feed, History history) {
        assertThat(feed).as("feed lines of %s", history.accountId()).hasSize(history.lines().size());
        for (int i = 0; i < feed.size(); i++) {
            JsonNode relayed = feed.get(i);
            JsonNode stored = history.lines().get(i);
            String what = "feed line " + i + " of " + history.accountId() + ": " + relayed;
            assertThat(relayed.get("version").asLong()).as(what).isEqualTo(i + 1);
            assertThat(relayed.get("type").asText()).as(what).isEqualTo(stored.get("type").asText());
            assertThat(relayed.get("balanceAfter").asLong()).as(what).isEqualTo(stored.get("balanceAfter").asLong());
            assertThat(relayed.path("transferId").asText()).as(what).isEqualTo(stored.path("transferId").asText());
        }
    }

    /** The refused transfers that no retry turned into an acknowledged one. */
    Set<String> refusedForGood() {
        Set<String> result = new HashSet<>(refused);
        result.removeAll(acknowledged.keySet());
        return result;
    }

    String summary() {
        return String.format("%d operations: %d acknowledged, %d refused for good, %d resent, %d sent twice at once,"
                        + " %d retried after a refusal, %d replayed answers, %d in-flight 409s, %d 503s,"
                        + " %d lost connections, %d requests answered after a lost connection (%d of them replays);"
                        + " %d snapshots, %d distinct cuts", operations.get(),
                acknowledged.size(), refusedForGood().size(), resent.get(), twins.get(), retriedAfterRefusal.get(),
                replayed.get(), inFlight.get(), overloaded.get(), lostConnections.get(), recovered.get(),
                recoveredReplays.get(), snapshots.get(), distinctCuts());
    }

    private static JsonNode withAccount(JsonNode line, String accountId) {
        return ((com.fasterxml.jackson.databind.node.ObjectNode) line.deepCopy()).put("accountId", accountId);
    }

    private static String code(Reply reply) {
        try {
            return reply.json().path("code").asText();
        } catch (IllegalStateException notJson) {
            return "";
        }
    }

    /** Backoff between retries of one request; never used as proof of anything. */
    private static void pause(long millis) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis));
    }
}

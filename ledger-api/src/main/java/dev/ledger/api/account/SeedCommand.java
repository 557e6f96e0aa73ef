package dev.ledger.api.account;

import dev.ledger.LedgerApplication;
import dev.ledger.domain.account.AccountIds;
import dev.ledger.infra.command.AccountBusyException;
import dev.ledger.infra.command.IdempotentExecutor;
import dev.ledger.infra.inbox.InboxKey;
import dev.ledger.infra.inbox.InboxRequest;
import dev.ledger.infra.inbox.InboxResult;
import dev.ledger.infra.inbox.StoredResponse;
import dev.ledger.infra.outbox.OutboxStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongFunction;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * {@code java -jar ledger.jar seed --accounts=N --deposits=M --prefix=P}: fills a ledger for a
 * benchmark through the service's own write path, in-process, without HTTP. It opens N accounts
 * ({@code P000001}, ...; EUR) and makes M deposits of 1 on each, every one an idempotent request
 * through the same executor, commands, event store and outbox as a REST deposit (many at a time,
 * so they are group-committed), then waits until the relay has delivered every event to the feed
 * and the read models. Prints one JSON line on standard output (logs go to standard error); exits
 * 0 when every write was accepted, 1 when some were not, 2 when it could not run.
 */
public final class SeedCommand {

    private static final String CLIENT = "ledger-seed";
    private static final String CURRENCY = "EUR";
    private static final int THREADS = 192;
    private static final int ATTEMPTS_MAX = 5;
    private static final long ACCOUNTS_MAX = 1_000_000;
    private static final long DEPOSITS_MAX = 10_000_000;
    private static final Duration DRAIN_WAIT_MAX = Duration.ofMinutes(15);

    private SeedCommand() {
    }

    public static int run(String[] args) {
        Map<String, String> options = new HashMap<>();
        List<String> springArgs = new ArrayList<>();
        for (String arg : args) {
            if (arg.startsWith("--accounts=") || arg.startsWith("--deposits=") || arg.startsWith("--prefix=")) {
                options.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
            } else {
                springArgs.add(arg);
            }
        }
        long accounts;
        long deposits;
        String prefix = options.getOrDefault("prefix", "seed-");
        try {
            accounts = Long.parseLong(options.getOrDefault("accounts", "1"));
            deposits = Long.parseLong(options.getOrDefault("deposits", "0"));
        } catch (NumberFormatException malformed) {
            System.err.println("usage: seed --accounts=N --deposits=M [--prefix=P]");
            return 2;
        }
        if (accounts < 1 || accounts > ACCOUNTS_MAX || deposits < 0 || deposits > DEPOSITS_MAX
                || !AccountIds.isValid(accountId(prefix, accounts))) {
            System.err.println("seed: accounts must be 1.." + ACCOUNTS_MAX + ", deposits 0.." + DEPOSITS_MAX
                    + ", and the prefix must make valid account ids");
            return 2;
        }
        SpringApplication application = new SpringApplication(LedgerApplication.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        application.setAdditionalProfiles("cli");
        application.setDefaultProperties(Map.of("ledger.commands.batch-size-max", "256"));
        try (ConfigurableApplicationContext context = application.run(springArgs.toArray(String[]::new))) {
            return new Seeding(context, prefix, accounts, deposits).run();
        } catch (Exception failure) {
            System.err.println("Seeding could not run: " + failure.getMessage());
            return 2;
        }
    }

    private static String accountId(String prefix, long number) {
        return prefix + String.format("%06d", number);
    }

    private static final class Seeding {

        private final IdempotentExecutor executor;
        private final AccountWrites writes;
        private final OutboxStore outbox;
        private final String prefix;
        private final long accounts;
        private final long deposits;
        private final String runId = Long.toString(System.currentTimeMillis(), 36);
        private final AtomicLong refused = new AtomicLong();

        Seeding(ConfigurableApplicationContext context, String prefix, long accounts, long deposits) {
            this.executor = context.getBean(IdempotentExecutor.class);
            this.writes = context.getBean(AccountWrites.class);
            this.outbox = context.getBean(OutboxStore.class);
            this.prefix = prefix;
            this.accounts = accounts;
            this.deposits = deposits;
        }

        int run() throws Exception {
            long started = System.nanoTime();
            inParallel(accounts, i -> {
                String id = accountId(prefix, i + 1);
                return write("open-" + id, id, writes.open(id, CURRENCY, 0, CLIENT));
            });
            inParallel(accounts * deposits, i -> {
                String id = accountId(prefix, i % accounts + 1);
                return write("deposit-" + i, id, writes.deposit(id, 1, CURRENCY, null, null, CLIENT));
            });
            long written = System.nanoTime();
            long deadline = written + DRAIN_WAIT_MAX.toNanos();
            while (outbox.backlog() > 0) {
                if (System.nanoTime() > deadline) {
                    System.err.println("seed: the relay did not deliver everything within " + DRAIN_WAIT_MAX);
                    return 2;
                }
                TimeUnit.MILLISECONDS.sleep(200);
            }
            long events = accounts * (1 + deposits);
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("{\"accounts\":%d,\"events\":%d,\"seconds\":%.3f,\"writeSeconds\":%.3f,"
                            + "\"eventsPerSecond\":%.1f,\"refused\":%d}%n", accounts, events, seconds,
                    (written - started) / 1e9, events / seconds, refused.get());
            return refused.get() == 0 ? 0 : 1;
        }

        private Void write(String key, String accountId, Function<String, StoredResponse> action) {
            InboxRequest request = new InboxRequest(new InboxKey(CLIENT, runId + "-" + key), "seed " + key,
                    List.of(accountId));
            for (int attempt = 1; ; attempt++) {
                try {
                    InboxResult result = executor.execute(request, action);
                    if (result.response().status() != 201) {
                        refused.incrementAndGet();
                    }
                    return null;
                } catch (AccountBusyException busy) {
                    if (attempt == ATTEMPTS_MAX) {
                        throw busy;
                    }
                }
            }
        }

        private void inParallel(long count, LongFunction<Void> work) throws Exception {
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                AtomicLong next = new AtomicLong();
                List<Future<?>> workers = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    workers.add(pool.submit(() -> {
                        for (long i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                            work.apply(i);
                        }
                        return null;
                    }));
                }
                for (Future<?> worker : workers) {
                    worker.get();
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}

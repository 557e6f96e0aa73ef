package dev.ledger.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop deposit load: N connections, one thread each, each sending its next deposit as soon as
 * the previous one answered. Every request carries a fresh Idempotency-Key. Latencies of requests
 * that complete inside the measured window go into a per-thread histogram; every non-201 answer (and
 * every I/O failure) during the whole phase, warm-up included, is an error.
 */
public final class Load {

    static final String BODY = "{\"amount\":1,\"currency\":\"EUR\"}";
    static final int ERROR_SAMPLES_MAX = 5;
    static final int CONSECUTIVE_FAILURES_MAX = 50;

    private final String host;
    private final int port;
    private final String authorization;
    private final String runTag;
    private final boolean randomKeys;
    private static final AtomicLong PHASES = new AtomicLong();

    /**
     * randomKeys: each Idempotency-Key a random (version 4) UUID, as payment APIs tell their clients
     * to make them; otherwise runTag, phase, connection and a counter, which PostgreSQL inserts at a
     * few places of the inbox's key index instead of all over it.
     */
    public Load(String host, int port, String authorization, String runTag, boolean randomKeys) {
        this.host = host;
        this.port = port;
        this.authorization = authorization;
        this.runTag = runTag;
        this.randomKeys = randomKeys;
    }

    /**
     * A phase's figures; {@code windowStartNanos} is when its measured window opened
     * ({@link System#nanoTime()}): after the phase-start work had returned.
     */
    public record Result(String name, int connections, double seconds, long requests, long errors,
                         Histogram latency, List<String> errorSamples, long reconnects,
                         Histogram afterReconnect, long windowStartNanos) {

        public double perSecond() {
            return seconds <= 0 ? 0 : requests / seconds;
        }

        public double p50Millis() {
            return latency.quantile(0.50) / 1e6;
        }

        public double p99Millis() {
            return latency.quantile(0.99) / 1e6;
        }

        public double meanMillis() {
            return latency.mean() / 1e6;
        }
    }

    /** Precomputed request bytes up to (and including) "Idempotency-Key: ", per account. */
    byte[] prefix(String accountId) {
        String head = "POST /api/v1/accounts/" + accountId + "/deposits HTTP/1.1\r\n"
                + "Host: " + host + ":" + port + "\r\n"
                + "Authorization: " + authorization + "\r\n"
                + "Content-Type: application/json\r\n"
                + "Content-Length: " + BODY.length() + "\r\n"
                + "Idempotency-Key: ";
        return head.getBytes(StandardCharsets.US_ASCII);
    }

    private static final byte[] TAIL = ("\r\n\r\n" + BODY).getBytes(StandardCharsets.US_ASCII);

    /** Builds one request into buf: prefix + key(tag-thread-seq) + tail. Returns its length. */
    static int build(byte[] buf, byte[] prefix, byte[] keyTag, long seq) {
        int n = prefix.length;
        System.arraycopy(prefix, 0, buf, 0, n);
        System.arraycopy(keyTag, 0, buf, n, keyTag.length);
        n += keyTag.length;
        // decimal digits of seq
        int digits = seq == 0 ? 1 : (int) Math.floor(Math.log10(seq)) + 1;
        long v = seq;
        for (int i = n + digits - 1; i >= n; i--) {
            buf[i] = (byte) ('0' + (v % 10));
            v /= 10;
        }
        n += digits;
        System.arraycopy(TAIL, 0, buf, n, TAIL.length);
        return n + TAIL.length;
    }

    /** Builds one request into buf: prefix + a random UUID as the key + tail. Returns its length. */
    static int build(byte[] buf, byte[] prefix, Random random) {
        int n = prefix.length;
        System.arraycopy(prefix, 0, buf, 0, n);
        UUID key = new UUID(random.nextLong() & ~0xF000L | 0x4000L, random.nextLong() & ~(0xCL << 60) | (0x8L << 60));
        byte[] text = key.toString().getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, buf, n, text.length);
        n += text.length;
        System.arraycopy(TAIL, 0, buf, n, TAIL.length);
        return n + TAIL.length;
    }

    /** Room for the longer of the two kinds of key: the tag and up to 20 digits, or a UUID's 36 characters. */
    static int keyRoom(byte[] keyTag) {
        return Math.max(keyTag.length + 20, 36);
    }

    /** The next request of a connection, with a key as this load makes them. */
    private int next(byte[] buf, byte[] prefix, byte[] keyTag, long seq, Random random) {
        return randomKeys ? build(buf, prefix, random) : build(buf, prefix, keyTag, seq);
    }

    /**
     * Runs one phase: warm-up seconds (not measured), then measured seconds, spread over the given
     * accounts at random (one account = a hot account). onMeasureStart runs (on the caller's thread)
     * at the end of the warm-up, e.g. to scrape metrics and read counters, and the measured window
     * opens when it returns: what it costs the machine (a metrics scrape, psql processes and the
     * server processes they start, a walk over /proc) falls outside the window, as the counters
     * read around a pgbench phase are read before pgbench starts and after it ends.
     */
    public Result run(String name, List<String> accounts, int connections, double warmupSeconds,
                      double measuredSeconds, Runnable onMeasureStart) throws InterruptedException {
        byte[][] prefixes = accounts.stream().map(this::prefix).toArray(byte[][]::new);
        long phase = PHASES.incrementAndGet();
        long start = System.nanoTime();
        long warmUpEnd = start + (long) (warmupSeconds * 1e9);
        Window window = new Window();
        Worker[] workers = new Worker[connections];
        Thread[] threads = new Thread[connections];
        for (int i = 0; i < connections; i++) {
            byte[] keyTag = (runTag + "-" + phase + "-" + i + "-").getBytes(StandardCharsets.US_ASCII);
            workers[i] = new Worker(prefixes, keyTag, window);
            threads[i] = new Thread(workers[i], "load-" + name + "-" + i);
            threads[i].setDaemon(true);
            threads[i].start();
        }
        long untilMeasure = warmUpEnd - System.nanoTime();
        if (untilMeasure > 0) {
            Thread.sleep(untilMeasure / 1_000_000, (int) (untilMeasure % 1_000_000));
        }
        try {
            if (onMeasureStart != null) {
                onMeasureStart.run();
            }
        } finally {
            // Opened even if the start work failed: the workers stop only at the window's end.
            window.open(System.nanoTime(), (long) (measuredSeconds * 1e9));
        }
        long joinDeadline = window.end + 15_000_000_000L; // a request may take the read timeout (10 s)
        for (Thread t : threads) {
            long left = (joinDeadline - System.nanoTime()) / 1_000_000;
            t.join(Math.max(1, left));
        }
        Histogram all = new Histogram();
        long requests = 0;
        long errors = 0;
        Histogram afterReconnect = new Histogram();
        long reconnects = 0;
        List<String> samples = new ArrayList<>();
        for (Worker w : workers) {
            synchronized (w) {
                all.add(w.histogram);
                afterReconnect.add(w.afterReconnect);
                requests += w.measured;
                errors += w.errors;
                reconnects += w.reconnects;
                for (String s : w.errorSamples) {
                    if (samples.size() < ERROR_SAMPLES_MAX) {
                        samples.add(s);
                    }
                }
            }
        }
        for (Thread t : threads) {
            if (t.isAlive()) {
                t.interrupt();
                errors++;
                if (samples.size() < ERROR_SAMPLES_MAX) {
                    samples.add("a load thread did not finish within 15 s after the phase");
                }
            }
        }
        return new Result(name, connections, measuredSeconds, requests, errors, all,
                Collections.unmodifiableList(samples), reconnects, afterReconnect, window.start);
    }

    /**
     * The measured window of a phase, opened by the thread that runs it: until then no request is
     * measured and none stops for its end.
     */
    static final class Window {
        volatile long start = Long.MAX_VALUE;
        volatile long end = Long.MAX_VALUE;

        /** The end first: a worker that sees the start sees the end that goes with it. */
        void open(long startNanos, long lengthNanos) {
            end = startNanos + lengthNanos;
            start = startNanos;
        }
    }

    private final class Worker implements Runnable {
        final byte[][] prefixes;
        final byte[] keyTag;
        final Window window;
        final Histogram histogram = new Histogram();
        /** The measured requests that opened a new connection first (the server had closed the last). */
        final Histogram afterReconnect = new Histogram();
        final List<String> errorSamples = new ArrayList<>();
        long measured;
        long errors;
        long reconnects;

        Worker(byte[][] prefixes, byte[] keyTag, Window window) {
            this.prefixes = prefixes;
            this.keyTag = keyTag;
            this.window = window;
        }

        @Override
        public void run() {
            int longest = 0;
            for (byte[] p : prefixes) {
                longest = Math.max(longest, p.length);
            }
            byte[] buf = new byte[longest + keyRoom(keyTag) + TAIL.length];
            ThreadLocalRandom random = ThreadLocalRandom.current();
            long seq = 0;
            int consecutiveFailures = 0;
            try (HttpConnection connection = new HttpConnection(host, port)) {
                while (true) {
                    long t0 = System.nanoTime();
                    if (t0 >= window.end || Thread.currentThread().isInterrupted()) {
                        break;
                    }
                    byte[] prefix = prefixes.length == 1 ? prefixes[0] : prefixes[random.nextInt(prefixes.length)];
                    int len = next(buf, prefix, keyTag, seq++, random);
                    boolean keep = errorSamples.size() < ERROR_SAMPLES_MAX;
                    int status;
                    int reconnectsBefore = connection.reconnects();
                    try {
                        status = connection.exchange(buf, len, keep);
                    } catch (IOException e) {
                        synchronized (this) {
                            errors++;
                            if (errorSamples.size() < ERROR_SAMPLES_MAX) {
                                errorSamples.add("I/O: " + e);
                            }
                        }
                        if (++consecutiveFailures >= CONSECUTIVE_FAILURES_MAX) {
                            break;
                        }
                        sleepQuietly(20);
                        continue;
                    }
                    long t1 = System.nanoTime();
                    synchronized (this) {
                        if (status != 201) {
                            errors++;
                            if (errorSamples.size() < ERROR_SAMPLES_MAX) {
                                String b = connection.body == null ? "" : new String(connection.body, StandardCharsets.UTF_8);
                                errorSamples.add(status + " " + (b.length() > 400 ? b.substring(0, 400) : b));
                            }
                        } else {
                            consecutiveFailures = 0;
                        }
                        if (t0 >= window.start && t1 <= window.end) {
                            histogram.record(t1 - t0);
                            if (connection.reconnects() != reconnectsBefore) {
                                afterReconnect.record(t1 - t0);
                            }
                            measured++;
                        }
                    }
                }
                synchronized (this) {
                    reconnects = connection.reconnects();
                }
            }
        }
    }

    /**
     * count deposits on one account over one connection, latencies into hist; stops early once
     * System.nanoTime() passes deadlineNanos. Returns the errors.
     */
    public long sequential(HttpConnection connection, String accountId, int count, Histogram hist, List<String> samples,
                           long deadlineNanos) {
        byte[] prefix = prefix(accountId);
        byte[] keyTag = (runTag + "-seq-" + PHASES.incrementAndGet() + "-").getBytes(StandardCharsets.US_ASCII);
        byte[] buf = new byte[prefix.length + keyRoom(keyTag) + TAIL.length];
        long errors = 0;
        for (int i = 0; i < count; i++) {
            int len = next(buf, prefix, keyTag, i, ThreadLocalRandom.current());
            long t0 = System.nanoTime();
            if (deadlineNanos != Long.MAX_VALUE && t0 - deadlineNanos > 0) {
                break;
            }
            int status;
            try {
                status = connection.exchange(buf, len, true);
            } catch (IOException e) {
                errors++;
                if (samples.size() < ERROR_SAMPLES_MAX) {
                    samples.add("I/O: " + e);
                }
                continue;
            }
            long t1 = System.nanoTime();
            if (status != 201) {
                errors++;
                if (samples.size() < ERROR_SAMPLES_MAX) {
                    samples.add(status + " " + new String(connection.body, StandardCharsets.UTF_8));
                }
            } else {
                hist.record(t1 - t0);
            }
        }
        return errors;
    }

    static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package dev.ledger.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * What kind of machine a run had, beyond its core count: the CPU as the kernel names it (and the
 * kernel's mitigations for it), how long the disk takes to make an 8 kB write durable, and how long
 * a one-byte round trip between two threads over loopback TCP takes. The last two decide much of
 * the ratio to pgbench: pgbench pays a flush per transaction and seven round trips between its
 * client and its server process, the ledger a flush and a round trip per write group, so where
 * both are cheap the two are compared on the CPU the rest of an operation costs. The round trip is
 * also timed with both threads kept on one core and on two ({@link Cores}): a thread woken on the
 * other core can cost several times one woken on its waker's (on a virtual machine, an interrupt
 * between virtual CPUs, and a halted one's wake-up, pass through the host).
 */
final class Machine {

    /** PostgreSQL's WAL block: what one small transaction's commit writes and flushes. */
    static final int BLOCK = 8192;
    /** The file the writes cycle through: one WAL segment, allocated (and flushed) before timing. */
    static final int FILE_BYTES = 16 * 1024 * 1024;
    /** At most this many timed writes, and at most {@link #SYNC_SECONDS_MAX} seconds of them. */
    static final int SYNCS_MAX = 20_000;
    static final double SYNC_SECONDS_MAX = 1.0;
    /** At most this many timed round trips, and at most {@link #ROUND_TRIP_SECONDS_MAX} seconds of them. */
    static final int ROUND_TRIPS_MAX = 100_000;
    static final double ROUND_TRIP_SECONDS_MAX = 1.0;
    /** The longest the echoing thread is waited for once the round trips are done. */
    static final long ECHO_JOIN_MILLIS = 5_000;
    /** The longest `taskset` may take, and the echoing thread to report where it runs. */
    static final long TASKSET_SECONDS_MAX = 10;

    private Machine() {
    }

    /**
     * How the kernel shares the cores between the service and the benchmark (its load generator and
     * pgbench's client): whether autogroup scheduling is on and the autogroup of each, from
     * {@code proc} ({@code /proc}); an autogroup that cannot be read is left out.
     */
    static Map<String, Object> scheduling(long servicePid, long benchPid, Path proc) {
        Map<String, Object> found = new LinkedHashMap<>();
        try {
            found.put("autogroupEnabled", Files.readString(proc.resolve("sys/kernel/sched_autogroup_enabled")).trim()
                    .equals("1"));
        } catch (IOException | RuntimeException unreadable) {
            // Left out: a kernel without autogroup scheduling has no such file.
        }
        autogroup(proc, servicePid).ifPresent(group -> found.put("serviceAutogroup", group));
        autogroup(proc, benchPid).ifPresent(group -> found.put("benchAutogroup", group));
        return found;
    }

    /** The autogroup of a process ({@code /autogroup-85 nice 0} gives {@code autogroup-85}). */
    private static Optional<String> autogroup(Path proc, long pid) {
        try {
            String line = Files.readString(proc.resolve(pid + "/autogroup")).trim();
            String name = line.split("\\s+")[0];
            return name.isEmpty() ? Optional.empty() : Optional.of(name.startsWith("/") ? name.substring(1) : name);
        } catch (IOException | RuntimeException unreadable) {
            return Optional.empty();
        }
    }

    /**
     * The first processor's model name, family, model and clock from /proc/cpuinfo's text, as
     * "Intel(R) Xeon(R) Processor (family 6, model 167, 2,600 MHz)"; null when it names none.
     */
    static String cpu(String cpuinfo) {
        Map<String, String> first = new LinkedHashMap<>();
        for (String line : cpuinfo.split("\n")) {
            if (line.isBlank()) {
                if (!first.isEmpty()) {
                    break;
                }
                continue;
            }
            int colon = line.indexOf(':');
            if (colon > 0) {
                first.putIfAbsent(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
            }
        }
        String name = first.get("model name");
        if (name == null || name.isEmpty()) {
            return null;
        }
        StringBuilder details = new StringBuilder();
        if (first.containsKey("cpu family") && first.containsKey("model")) {
            details.append("family ").append(first.get("cpu family")).append(", model ").append(first.get("model"));
        }
        String mhz = first.get("cpu MHz");
        if (mhz != null) {
            try {
                details.append(details.isEmpty() ? "" : ", ")
                        .append(String.format(Locale.ROOT, "%,d MHz", Math.round(Double.parseDouble(mhz))));
            } catch (NumberFormatException notANumber) {
                // left out
            }
        }
        return details.isEmpty() ? name : name + " (" + details + ")";
    }

    /**
     * The kernel's mitigations for the CPU's known flaws (/sys/devices/system/cpu/vulnerabilities:
     * each file's name and its one line), which decide much of what a system call or a context
     * switch costs; empty when the directory is not there.
     */
    static Map<String, String> mitigations(Path dir) throws IOException {
        Map<String, String> found = new TreeMap<>();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    if (Files.isRegularFile(file) && Files.isReadable(file)) {
                        found.put(file.getFileName().toString(), Files.readString(file).strip());
                    }
                }
            }
        }
        return found;
    }

    /** Timed operations: how many, their mean, median and 99th percentile, in microseconds. */
    record Timings(int count, double meanMicros, double medianMicros, double p99Micros) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("count", count);
            m.put("meanMicros", meanMicros);
            m.put("medianMicros", medianMicros);
            m.put("p99Micros", p99Micros);
            return m;
        }

        static Timings of(long[] nanos, int count) {
            long[] sorted = Arrays.copyOf(nanos, count);
            Arrays.sort(sorted);
            double mean = count == 0 ? 0 : Arrays.stream(sorted).sum() / 1000.0 / count;
            return new Timings(count, mean, micros(sorted, 0.5), micros(sorted, 0.99));
        }
    }

    /**
     * Times an 8 kB write followed by {@link FileChannel#force force(false)} (fdatasync, what
     * PostgreSQL's WAL flush does by default on Linux) in a file of {@code dir}, block after block
     * through one allocated 16 MB file as the WAL goes through a segment; bounded by
     * {@code maxWrites} and {@code maxSeconds}. The file is deleted afterwards.
     */
    static Timings syncTimes(Path dir, int maxWrites, double maxSeconds) throws IOException {
        Path file = Files.createTempFile(dir, "sync-", ".tmp");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer zeros = ByteBuffer.allocate(1 << 20);
            for (long at = 0; at < FILE_BYTES; at += zeros.capacity()) {
                zeros.clear();
                channel.write(zeros, at);
            }
            channel.force(true);
            ByteBuffer block = ByteBuffer.allocate(BLOCK);
            Arrays.fill(block.array(), (byte) 'w');
            long[] took = new long[maxWrites];
            int writes = 0;
            long deadline = System.nanoTime() + (long) (maxSeconds * 1e9);
            while (writes < maxWrites && System.nanoTime() < deadline) {
                block.clear();
                long start = System.nanoTime();
                channel.write(block, (long) writes * BLOCK % FILE_BYTES);
                channel.force(false);
                took[writes++] = System.nanoTime() - start;
            }
            return Timings.of(took, writes);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * Times one-byte round trips between this thread and one it starts, over a TCP connection on
     * the loopback interface with Nagle's algorithm off, as pgbench talks to its server process
     * (each way a send, the kernel's loopback path and the blocked reader woken); bounded by
     * {@code maxTrips} and {@code maxSeconds}.
     */
    static Timings loopbackRoundTrips(int maxTrips, double maxSeconds) throws IOException, InterruptedException {
        return loopbackRoundTrips(maxTrips, maxSeconds, null);
    }

    /**
     * The CPUs (as the kernel numbers them) that the measuring thread and the echoing thread are
     * kept on for a round-trip reading.
     */
    record Cores(int measuring, int echoing) {
    }

    /**
     * {@link #loopbackRoundTrips(int, double)} with each thread kept on its CPU of {@code cores}
     * (`taskset`; null: wherever the kernel puts them). The measuring thread's CPUs are given back
     * afterwards; the echoing thread ends with the reading.
     */
    static Timings loopbackRoundTrips(int maxTrips, double maxSeconds, Cores cores)
            throws IOException, InterruptedException {
        if (cores == null) {
            return timeRoundTrips(maxTrips, maxSeconds, null);
        }
        long measuring = threadId();
        String allowed = affinity(measuring);
        keepOn(measuring, Integer.toString(cores.measuring()));
        try {
            return timeRoundTrips(maxTrips, maxSeconds, cores.echoing());
        } finally {
            keepOn(measuring, allowed);
        }
    }

    private static Timings timeRoundTrips(int maxTrips, double maxSeconds, Integer echoCpu)
            throws IOException, InterruptedException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocket server = new ServerSocket(0, 1, loopback)) {
            CompletableFuture<Void> placed = new CompletableFuture<>();
            Thread echo = new Thread(() -> {
                try {
                    if (echoCpu != null) {
                        keepOn(threadId(), echoCpu.toString());
                    }
                    placed.complete(null);
                } catch (IOException | InterruptedException | RuntimeException failed) {
                    placed.completeExceptionally(failed);
                    return;
                }
                try (Socket peer = server.accept()) {
                    peer.setTcpNoDelay(true);
                    InputStream in = peer.getInputStream();
                    OutputStream out = peer.getOutputStream();
                    for (int b = in.read(); b >= 0; b = in.read()) {
                        out.write(b);
                    }
                } catch (IOException closed) {
                    // the measuring side is done
                }
            }, "loopback-echo");
            echo.setDaemon(true);
            echo.start();
            try {
                placed.get(TASKSET_SECONDS_MAX, TimeUnit.SECONDS);
            } catch (ExecutionException failed) {
                throw new IOException("the echoing thread could not be kept on CPU " + echoCpu, failed.getCause());
            } catch (TimeoutException late) {
                throw new IOException("the echoing thread did not start", late);
            }
            long[] took = new long[maxTrips];
            int trips = 0;
            try (Socket client = new Socket(loopback, server.getLocalPort())) {
                client.setTcpNoDelay(true);
                InputStream in = client.getInputStream();
                OutputStream out = client.getOutputStream();
                long deadline = System.nanoTime() + (long) (maxSeconds * 1e9);
                while (trips < maxTrips && System.nanoTime() < deadline) {
                    long start = System.nanoTime();
                    out.write('r');
                    if (in.read() < 0) {
                        throw new IOException("the echoing thread closed the connection");
                    }
                    took[trips++] = System.nanoTime() - start;
                }
            }
            echo.join(ECHO_JOIN_MILLIS);
            return Timings.of(took, trips);
        }
    }

    /** The calling thread's id as the kernel knows it: /proc/thread-self links to {@code <pid>/task/<tid>}. */
    static long threadId() throws IOException {
        return Long.parseLong(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
    }

    /** The CPUs thread {@code tid} may run on, as `taskset` lists them ("0,1", "0-3"). */
    static String affinity(long tid) throws IOException, InterruptedException {
        String out = taskset(List.of("taskset", "-p", "-c", Long.toString(tid)));
        int colon = out.lastIndexOf(':');
        if (colon < 0 || out.substring(colon + 1).isBlank()) {
            throw new IOException("taskset named no CPUs: " + out);
        }
        return out.substring(colon + 1).strip();
    }

    /** Keeps thread {@code tid} on the CPUs {@code cpus} (a `taskset` list). */
    static void keepOn(long tid, String cpus) throws IOException, InterruptedException {
        taskset(List.of("taskset", "-p", "-c", cpus, Long.toString(tid)));
    }

    private static String taskset(List<String> command) throws IOException, InterruptedException {
        Procs.Outcome done = Procs.run(command, null, null, TASKSET_SECONDS_MAX);
        if (!done.ok()) {
            throw new IOException(String.join(" ", command) + " failed: " + done.stderr().strip());
        }
        return done.stdout().strip();
    }

    /** The given quantile of sorted nanosecond durations, in microseconds (nearest rank); 0 when none. */
    static double micros(long[] sortedNanos, double quantile) {
        if (sortedNanos.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(quantile * sortedNanos.length);
        return sortedNanos[Math.max(0, Math.min(sortedNanos.length, rank) - 1)] / 1000.0;
    }
}

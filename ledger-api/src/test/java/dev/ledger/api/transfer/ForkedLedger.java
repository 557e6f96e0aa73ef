package dev.ledger.api.transfer;

import dev.ledger.support.LedgerClient;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.TestDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The service in a JVM of its own, on the test database: started with the test's class path,
 * killed with SIGKILL ({@link Process#destroyForcibly()}) the way a crashed host would lose it.
 * Its output goes to a file under {@code target/}, whose tail a failure quotes.
 */
final class ForkedLedger implements AutoCloseable {

    private final String name;
    private final int port;
    private final Path log;
    private final Process process;

    private ForkedLedger(String name, int port, Path log, Process process) {
        this.name = name;
        this.port = port;
        this.log = log;
        this.process = process;
    }

    static ForkedLedger start(String name) {
        int port = freePort();
        Path log = Path.of("target", "forked-" + name + "-" + port + ".log").toAbsolutePath();
        TestDatabase database = TestDatabase.get();
        List<String> command = List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-XX:TieredStopAtLevel=1",
                "-Daxoniq.update-checker.disabled=true",
                "-cp", System.getProperty("java.class.path"),
                "dev.ledger.LedgerApplication",
                "--server.port=" + port,
                "--spring.datasource.url=" + database.url(),
                "--spring.datasource.username=" + database.user(),
                "--spring.datasource.password=" + database.password());
        try {
            Files.createDirectories(log.getParent());
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            // Should the test JVM itself end first, the service must not outlive it.
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
            return new ForkedLedger(name, port, log, process);
        } catch (IOException failure) {
            throw new UncheckedIOException("cannot start the forked service " + name, failure);
        }
    }

    LedgerClient client() {
        return new LedgerClient("http://127.0.0.1:" + port);
    }

    long pid() {
        return process.pid();
    }

    /** Waits, bounded, until the service reports itself UP; fails at once if the process ends. */
    void awaitHealthy(Duration waitMax) {
        LedgerClient client = client();
        long deadline = System.nanoTime() + waitMax.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("the forked service " + name + " ended with " + process.exitValue()
                        + " before it was healthy:\n" + logTail());
            }
            try {
                Reply health = client.get("/actuator/health");
                if (health.status() == 200 && "UP".equals(health.json().path("status").asText())) {
                    return;
                }
            } catch (UncheckedIOException notListeningYet) {
                // starting
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
        throw new AssertionError("the forked service " + name + " was not healthy within " + waitMax + ":\n"
                + logTail());
    }

    /** SIGKILL: no shutdown hook, no graceful stop, open transactions and connections simply vanish. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("the forked service " + name + " did not die within 30 s");
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    int exitValue() {
        return process.exitValue();
    }

    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException | UncheckedIOException unreadable) {
            return "(no log at " + log + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException failure) {
            throw new UncheckedIOException(failure);
        }
    }
}

package dev.ledger.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of the service's batch commands ({@code LedgerApplication <command> ...}) in a JVM of
 * its own on a given database, with standard output and error in files, and waits for it at most
 * {@link #WAIT_MAX}.
 */
public final class LedgerCommand {

    public static final Duration WAIT_MAX = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    private LedgerCommand() {
    }

    /** Runs the command on the test database. */
    public static Result run(String command, String... args) throws IOException, InterruptedException {
        return runOn(TestDatabase.get().url(), command, args);
    }

    public static Result runOn(String databaseUrl, String command, String... args)
            throws IOException, InterruptedException {
        TestDatabase database = TestDatabase.get();
        Path stdout = Files.createTempFile(command + "-", ".out");
        Path stderr = Files.createTempFile(command + "-", ".err");
        List<String> line = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-XX:TieredStopAtLevel=1",
                "-Daxoniq.update-checker.disabled=true",
                "-cp", System.getProperty("java.class.path"),
                "dev.ledger.LedgerApplication", command));
        line.addAll(List.of(args));
        line.add("--spring.datasource.url=" + databaseUrl);
        line.add("--spring.datasource.username=" + database.user());
        line.add("--spring.datasource.password=" + database.password());
        Process process = new ProcessBuilder(line)
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        try {
            if (!process.waitFor(WAIT_MAX.toSeconds(), TimeUnit.SECONDS)) {
                throw new AssertionError("the " + command + " command did not end within " + WAIT_MAX + "; stderr:\n"
                        + Files.readString(stderr, StandardCharsets.UTF_8));
            }
            return new Result(process.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8),
                    Files.readString(stderr, StandardCharsets.UTF_8));
        } finally {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }

    public record Result(int exitCode, String stdout, String stderr) {

        /** Standard output, all of it, as one JSON document. */
        public JsonNode json() {
            try {
                return JSON.readTree(stdout);
            } catch (IOException notJson) {
                throw new AssertionError("standard output is not one JSON document:\n" + stdout, notJson);
            }
        }
    }
}

package dev.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportTest {

    @Test
    void theSchedulingCellSaysWhetherTheServiceHasASessionOfItsOwn() {
        assertThat(Report.schedulingCell(Map.of("autogroupEnabled", true, "serviceAutogroup", "autogroup-9",
                "benchAutogroup", "autogroup-8")))
                .startsWith("autogroup scheduling on").contains("the service in a session of its own (autogroup-9)")
                .contains("in another (autogroup-8)");
        assertThat(Report.schedulingCell(Map.of("autogroupEnabled", false, "serviceAutogroup", "autogroup-8",
                "benchAutogroup", "autogroup-8")))
                .startsWith("autogroup scheduling off")
                .contains("the service in the benchmark's own session (autogroup-8), with the load generator");
    }

    @Test
    void createsTheDocumentWithBothPartsWhenAbsent() {
        String doc = Report.merge(null, "GEN 1");
        assertThat(doc).contains(Report.BEGIN + "\nGEN 1\n" + Report.END).contains("## Analysis");
        assertThat(doc.indexOf(Report.END)).isLessThan(doc.indexOf("## Analysis"));
    }

    @Test
    void replacesOnlyBetweenTheMarkers() {
        String first = Report.merge(null, "GEN 1");
        String handWritten = first.replace("_To be written: what the numbers above mean for the write path._",
                "The relay is the bottleneck.");
        String second = Report.merge("Intro by hand.\n" + handWritten, "GEN 2\nmore");
        assertThat(second).startsWith("Intro by hand.\n# Performance")
                .contains(Report.BEGIN + "\nGEN 2\nmore\n" + Report.END)
                .doesNotContain("GEN 1")
                .endsWith("## Analysis\n\nThe relay is the bottleneck.\n");
        // idempotent
        assertThat(Report.merge(second, "GEN 2\nmore")).isEqualTo(second);
    }

    @Test
    void appendsToADocumentWithoutMarkersAndRefusesBrokenOnes() {
        assertThat(Report.merge("# Mine\n", "G")).isEqualTo("# Mine\n\n" + Report.BEGIN + "\nG\n" + Report.END + "\n");
        assertThatThrownBy(() -> Report.merge("x " + Report.END + " y " + Report.BEGIN, "G"))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Report.merge("x " + Report.BEGIN + " y", "G"))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theKindOfIdempotencyKeysIsStated() {
        Run run = new Run();
        run.options.putAll(Options.parse(new String[0]).toMap());
        assertThat(Report.generated(run)).contains("fresh `Idempotency-Key` each (a random UUID)")
                .contains("`/actuator/prometheus` scraped every 5 s meanwhile");

        Run other = new Run();
        other.options.putAll(Options.parse(new String[] {"--keys=sequential"}).toMap());
        assertThat(Report.generated(other)).contains("fresh `Idempotency-Key` each (run tag, connection and counter)");
        assertThatThrownBy(() -> Options.parse(new String[] {"--keys=uuid"})).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theServerSettingsThatShapeTheNumbersAreStated() {
        Run run = new Run();
        run.environment.putAll(Map.of("postgresql", "15.20", "fsync", "on", "synchronous_commit", "on",
                "shared_buffers", "128MB", "max_wal_size", "1GB", "autovacuum", "off", "jit", "on"));
        assertThat(Report.generated(run)).contains("| PostgreSQL | 15.20, fsync=on, synchronous_commit=on,"
                + " shared_buffers=128MB, max_wal_size=1GB, autovacuum=off, jit=on |");
    }

    @Test
    void theCpuAndTheDisksFlushAreStatedWhenMeasured() {
        Run run = new Run();
        run.environment.putAll(Map.of("cpuModel", "Intel(R) Xeon(R) Processor (family 6, model 167, 2,600 MHz)",
                "syncWrite", Map.of("count", 7_950, "meanMicros", 125.8, "medianMicros", 118.4,
                        "p99Micros", 201.6),
                "syncWriteOnPostgresFilesystem", true,
                "loopbackRoundTrip", Map.of("count", 31_000, "meanMicros", 32.25,
                        "medianMicros", 27.44, "p99Micros", 61.06)));
        assertThat(Report.generated(run))
                .contains("| CPU (`/proc/cpuinfo`) | Intel(R) Xeon(R) Processor (family 6, model 167, 2,600 MHz) |")
                .contains("| the disk's flush | an 8 kB write and its fdatasync (a WAL flush's system calls, before the"
                        + " run loads the machine): mean 126 µs, median 118 µs, p99 202 µs (7,950 writes in at most 1 s, in"
                        + " `bench/target`, on the filesystem of PostgreSQL's data directory) |")
                .contains("| a loopback round trip | one byte each way between two threads over TCP on 127.0.0.1,")
                .contains("mean 32.3 µs, median 27.4 µs, p99 61.1 µs (31,000 in at most 1 s) |");

        Run elsewhere = new Run();
        elsewhere.environment.put("syncWrite", Map.of("count", 10, "meanMicros", 6.0, "medianMicros", 5.0,
                "p99Micros", 9.0));
        elsewhere.environment.put("syncWriteOnPostgresFilesystem", false);
        assertThat(Report.generated(elsewhere)).contains("`bench/target`, **not** on the filesystem of PostgreSQL's")
                .doesNotContain("| CPU (`/proc/cpuinfo`) |");
        // Results from before the reading have neither row.
        assertThat(Report.generated(new Run())).doesNotContain("the disk's flush").doesNotContain("/proc/cpuinfo")
                .doesNotContain("a loopback round trip");
    }

    @Test
    void theRoundTripKeptOnOneCoreAndOnTwoIsStatedWhenMeasured() {
        Run run = new Run();
        run.environment.put("loopbackRoundTripOneCore", Map.of("count", 50_000, "meanMicros", 18.0,
                "medianMicros", 16.7, "p99Micros", 44.0));
        run.environment.put("loopbackRoundTripTwoCores", Map.of("count", 9_000, "meanMicros", 120.0,
                "medianMicros", 108.55, "p99Micros", 404.9));
        assertThat(Report.generated(run)).contains("| the same round trip, placed | both threads kept on CPU 0"
                + " (`taskset`): mean 18.0 µs, median 16.7 µs, p99 44.0 µs; on CPUs 0 and 1: mean 120.0 µs, median"
                + " 108.6 µs, p99 404.9 µs (median 6.5× one core's: the price of waking a thread on the other core) |");

        Run oneCpu = new Run();
        oneCpu.environment.put("loopbackRoundTripOneCore", Map.of("count", 50_000, "meanMicros", 18.0,
                "medianMicros", 16.7, "p99Micros", 44.0));
        assertThat(Report.generated(oneCpu)).contains("| the same round trip, placed | both threads kept on CPU 0"
                + " (`taskset`): mean 18.0 µs, median 16.7 µs, p99 44.0 µs |");
        assertThat(Report.generated(new Run())).doesNotContain("the same round trip, placed");
    }

    @Test
    void theServicesJvmOptionsAreStated() {
        Run run = new Run();
        run.environment.putAll(Map.of("java", "OpenJDK 17", "serviceJvmOptions", "-XX:+UseParallelGC -Dx=y"));
        assertThat(Report.generated(run)).contains("| Java | OpenJDK 17; the service's JVM options"
                + " (`scripts/jvm.args`, as `scripts/run` starts it): `-XX:+UseParallelGC -Dx=y` |");
    }

    @Test
    void summaryMarksUnmeasuredTargetsAsNotMeasured() {
        Run run = new Run();
        run.rebuild.putAll(Map.of("totalEvents", 5000L, "eventsPerSecond", 200000.0));
        String table = Report.summaryTable(run);
        assertThat(table).contains("| read-model rebuild, events/s (service's figure) | 200,000 on 5,000 events"
                + " | >= 100,000 on >= 1M events | not measured (ledger < 1M events) |");
        assertThat(table).contains("| deposit latency p50, 100,001-event vs 10-event account | n/a | <= 1.2x | not measured |");
        assertThat(table).doesNotContain("rebuild again");
    }

    @Test
    void bothRebuildsAreJudgedOnAMillionEvents() {
        Run run = new Run();
        run.rebuild.putAll(Map.of("totalEvents", 1_200_000L, "eventsPerSecond", 90000.0, "finished", true));
        run.rebuildAgain.putAll(Map.of("totalEvents", 1_200_000L, "eventsPerSecond", 150000.0, "finished", true));
        String table = Report.summaryTable(run);
        assertThat(table).contains("| read-model rebuild, events/s (service's figure) | 90,000 on 1,200,000 events"
                + " | >= 100,000 on >= 1M events | **NOT met** |");
        assertThat(table).contains("| read-model rebuild again (warm), events/s (service's figure) | 150,000 on"
                + " 1,200,000 events | >= 100,000 on >= 1M events | met |");
    }

    @Test
    void jsonRoundTrips() {
        Map<String, Object> m = Json.parseObject("{\"accounts\":1000,\"events\":1001000,\"seconds\":12.5,"
                + "\"eventsPerSecond\":80080.0,\"s\":\"a\\\"b\",\"l\":[1,null,true]}");
        assertThat(m.get("accounts")).isEqualTo(1000L);
        assertThat(Json.number(m, "eventsPerSecond")).isEqualTo(80080.0);
        assertThat(m.get("s")).isEqualTo("a\"b");
        assertThat(Json.parse(Json.write(m))).isEqualTo(m);
    }

    @Test
    void lagSummaryLeavesOutPhasesThatBeganWithARelayBacklog() {
        Run run = new Run();
        Map<String, Object> polluted = new LinkedHashMap<>(Map.of("name", "ab-spread-1",
                "relayBacklogAtStart", 97060L, "lagP50Millis", "+Inf", "lagP99Millis", "+Inf"));
        Map<String, Object> clean = new LinkedHashMap<>(Map.of("name", "ab-spread-2",
                "relayBacklogAtStart", 38L, "lagP50Millis", 20.0, "lagP99Millis", 30.0));
        run.ledgerPhases.add(polluted);
        run.ledgerPhases.add(clean);
        assertThat(Report.summaryTable(run)).contains("| read-model lag p99 under load (worst A/B phase without relay"
                + " backlog; 1 phase(s) excluded) | <= 30 ms | <= 50 ms | met |");
        run.ledgerPhases.remove(clean);
        assertThat(Report.summaryTable(run)).contains("ALL began with a relay backlog) | > 10,000 ms | <= 50 ms | **NOT met** |");
    }

    @Test
    void theCpuOfEachAbPhaseIsTabledAndTheCpuPerOperationComparedOnlyWhenMeasured() {
        Run run = new Run();
        run.pgbenchPhases.add(new LinkedHashMap<>(Map.of("name", "ab-1", "tps", 4000.0, "cpu",
                Map.of("machineCores", 2.0, "machineBusyCores", 1.8, "stealCores", 0.05, "postgresCores", 1.3, "serviceCores", 0.0,
                        "loadGeneratorCores", 0.4, "otherCores", 0.1, "postgresMillisPerOp", 0.325,
                        "loadGeneratorMillisPerOp", 0.1, "machineBusyMillisPerOp", 0.45))));
        Map<String, Object> ledgerCpu = new LinkedHashMap<>(Map.of("machineCores", 2.0, "machineBusyCores", 1.8,
                "postgresCores", 0.8, "serviceCores", 0.8, "loadGeneratorCores", 0.1, "otherCores", 0.1,
                "postgresMillisPerOp", 0.267, "serviceMillisPerOp", 0.267, "loadGeneratorMillisPerOp", 0.033,
                "machineBusyMillisPerOp", 0.6));
        ledgerCpu.put("serviceJitCores", 0.12);
        run.ledgerPhases.add(new LinkedHashMap<>(Map.of("name", "ab-spread-1", "perSecond", 3000.0, "cpu", ledgerCpu)));
        assertThat(Report.cpuTable(run)).contains("| ab-1 (pgbench) | 4,000 | 1.80 of 2.00 | 0.05 | 1.30 | 0.00 | 0.40 | 0.10"
                + " | 0.325 | - | 0.100 | 0.450 |")
                .as("a run from before steal was read: a dash")
                .contains("| ab-spread-1 | 3,000 | 1.80 of 2.00 | - | 0.80 | 0.80 (0.12) | 0.10 | 0.10 | 0.267 | 0.267 | 0.033"
                        + " | 0.600 |");
        assertThat(Report.summaryRows(run)).anySatisfy(row -> assertThat(row.measured())
                .isEqualTo("0.600 ÷ 0.450 ms = 1.33"));

        Run without = new Run();
        without.pgbenchPhases.add(new LinkedHashMap<>(Map.of("name", "ab-1", "tps", 4000.0, "cpu", Map.of())));
        assertThat(Report.cpuTable(without)).isEmpty();
        assertThat(Report.summaryRows(without)).noneMatch(row -> row.metric().contains("CPU"));
    }

    @Test
    void theWriterTableSetsTheServicesFiguresBesideTheLoadGeneratorsAndIsLeftOutWithoutThem() {
        Map<String, Object> writer = new LinkedHashMap<>(Map.of("answerP50Millis", 2.0, "answerP99Millis", 7.0,
                "commitP50Millis", 0.75, "commitP99Millis", 5.0, "commitMeanMillis", 0.912, "writesPerCommit", 3.87));
        Map<String, Object> phase = new LinkedHashMap<>(Map.of("name", "ab-spread-1", "perSecond", 2586.0,
                "p50Millis", 2.64, "p99Millis", 11.6, "writer", writer));
        assertThat(Report.writerTable(List.of(phase)))
                .contains("| ab-spread-1 | 2,586 | 2.64 / 11.60 | <= 2 ms / <= 7 ms | <= 0.75 ms / <= 5 ms (mean 0.91 ms) | 3.87 | n/a | n/a |");
        phase.put("waits", Map.of("postgresWaitCores", 0.31, "serviceWaitCores", 0.84, "writerRunShare", 0.2,
                "writerWaitShare", 0.395));
        assertThat(Report.writerTable(List.of(phase))).contains("| 3.87 | 20 % / 40 % | 0.31 / 0.84 |");
        phase.put("waits", Map.of("postgresWaitCores", 0.31, "serviceWaitCores", 0.84));
        assertThat(Report.writerTable(List.of(phase))).as("writer threads not found").contains("| 3.87 | n/a | 0.31 / 0.84 |");
        writer.put("answerP99Millis", "+Inf");
        assertThat(Report.writerTable(List.of(phase))).contains("| <= 2 ms / > 5,000 ms |");

        Map<String, Object> without = new LinkedHashMap<>(Map.of("name", "ab-spread-1", "perSecond", 2586.0,
                "p50Millis", 2.64, "p99Millis", 11.6, "writer", Map.of()));
        assertThat(Report.writerTable(List.of(without))).isEmpty();
    }

    @Test
    void theAbTableSaysHowManyOfEachLedgerPhasesRelayRoundsTookOver50Ms() {
        Run run = new Run();
        run.pgbenchPhases.add(new LinkedHashMap<>(Map.of("name", "ab-1", "clients", 8, "tps", 2434.1,
                "latencyAverageMillis", 3.287, "failed", 0)));
        Map<String, Object> relay = new LinkedHashMap<>(Map.of("deliveries_careful", 0L, "rounds", 1686L,
                "rounds_over_50ms", 3L, "round_mean_ms", 3.85, "round_max_le_ms", 75.0));
        Map<String, Object> phase = new LinkedHashMap<>(Map.of("name", "ab-spread-1", "connections", 8,
                "perSecond", 2611.2, "p50Millis", 2.7, "p99Millis", 9.76, "errors", 0L, "lagP50Millis", 10.0,
                "lagP99Millis", 75.0, "relay", relay));
        run.ledgerPhases.add(phase);

        assertThat(Report.abTable(run)).contains("| relay rounds over 50 ms | relay backlog at start |")
                .contains("| 0 failed | | | | |")
                .contains("| ab-spread-1 | ledger c=8 spread | 2,611 | 2.70 | 9.76 | 0 | <= 10 ms | <= 75 ms"
                        + " | 3 of 1,686 (slowest <= 75 ms) |  |");
        relay.put("round_max_le_ms", null);
        assertThat(Report.abTable(run)).contains("| <= 75 ms | 3 of 1,686 |  |");
        phase.put("relay", Map.of("deliveries_careful", 0L));
        assertThat(Report.abTable(run)).as("a service without the round histogram").contains("| <= 75 ms |  |  |");
    }

    @Test
    void theWarmUpSaysWhetherTheJitHadSettled() {
        Run run = new Run();
        assertThat(Report.jitSettled(run)).isEqualTo("the JIT's threads not measured");
        run.warmUpLastJitCores = 0.012;
        assertThat(Report.jitSettled(run)).isEqualTo("the last 10 s: 1.2 % of a core, settled");
        run.warmUpLastJitCores = 0.3;
        assertThat(Report.jitSettled(run)).isEqualTo("the last 10 s: 30.0 % of a core, **not settled**");
    }
}

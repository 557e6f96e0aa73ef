package dev.ledger.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Everything one run measured; results.json is {@link #toMap()}. */
public final class Run {

    Map<String, Object> options = new LinkedHashMap<>();
    String startedAt;
    double totalSeconds;
    String fatal;
    String seedMissing;
    final Map<String, Object> environment = new LinkedHashMap<>();
    final List<Map<String, Object>> stages = new ArrayList<>();
    final Map<String, String> failures = new LinkedHashMap<>();
    final Map<String, Object> seed = new LinkedHashMap<>();
    final List<Map<String, Object>> ledgerPhases = new ArrayList<>();
    final List<Map<String, Object>> pgbenchPhases = new ArrayList<>();
    final List<Double> pgbenchTps = new ArrayList<>();
    final List<Load.Result> spread = new ArrayList<>();
    final List<Load.Result> hot = new ArrayList<>();
    final List<Map<String, Object>> sweep = new ArrayList<>();
    final Map<String, Object> deep = new LinkedHashMap<>();
    final Map<String, Object> rebuild = new LinkedHashMap<>();
    final Map<String, Object> rebuildAgain = new LinkedHashMap<>();
    long errors;
    /** How often the warm-up scraped /actuator/prometheus. */
    int warmUpScrapes;
    /** How long the unmeasured load before the first phase ran, and the cores its last slice's JIT used. */
    int warmUpSeconds;
    double warmUpLastJitCores = Double.NaN;
    final List<String> errorSamples = new ArrayList<>();

    static double mean(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    double pgbenchTpsMean() {
        return mean(pgbenchTps);
    }

    /** The highest p99 of pgbench's A/B phases, from the transactions it logged; NaN if none logged any. */
    double pgbenchP99Millis() {
        return pgbenchPhases.stream()
                .filter(m -> String.valueOf(m.get("name")).startsWith("ab-") && m.get("p99Millis") instanceof Number)
                .mapToDouble(m -> ((Number) m.get("p99Millis")).doubleValue())
                .max().orElse(Double.NaN);
    }

    double spreadMean() {
        return mean(spread.stream().map(Load.Result::perSecond).toList());
    }

    double hotMean() {
        return mean(hot.stream().map(Load.Result::perSecond).toList());
    }

    /** p50/p99 over all measured spread requests of the A/B rounds (histograms merged). */
    Histogram spreadLatency() {
        Histogram h = new Histogram();
        spread.forEach(r -> h.add(r.latency()));
        return h;
    }

    /** The worst (largest) lag p99 bucket bound over the A/B ledger phases, ms; NaN if none. */
    double lagP99Millis() {
        return worstLag("lagP99Millis");
    }

    double lagP50Millis() {
        return worstLag("lagP50Millis");
    }

    /**
     * Above this many undelivered events at a phase's start, the backlog is left over (a cut-short
     * seed's events), not the few events in flight that any phase under load begins with.
     */
    static final long RELAY_BACKLOG_LEFTOVER = 1000;

    /** A/B phases that began with a leftover relay backlog (a cut-short seed's events). */
    boolean polluted(Map<String, Object> phase) {
        return phase.get("relayBacklogAtStart") instanceof Number n && n.longValue() > RELAY_BACKLOG_LEFTOVER;
    }

    /** True when some A/B phases started with no relay backlog: the lag summary uses only those. */
    boolean someCleanPhases() {
        return ledgerPhases.stream().anyMatch(p -> String.valueOf(p.get("name")).startsWith("ab-") && !polluted(p));
    }

    long pollutedPhases() {
        return ledgerPhases.stream().filter(p -> String.valueOf(p.get("name")).startsWith("ab-") && polluted(p)).count();
    }

    private double worstLag(String key) {
        double worst = Double.NaN;
        boolean cleanOnly = someCleanPhases();
        for (Map<String, Object> phase : ledgerPhases) {
            if (!String.valueOf(phase.get("name")).startsWith("ab-") || (cleanOnly && polluted(phase))) {
                continue;
            }
            Object v = phase.get(key);
            double d = v instanceof Number n ? n.doubleValue() : "+Inf".equals(v) ? Double.POSITIVE_INFINITY : Double.NaN;
            if (!Double.isNaN(d) && (Double.isNaN(worst) || d > worst)) {
                worst = d;
            }
        }
        return worst;
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("startedAt", startedAt);
        m.put("totalSeconds", totalSeconds);
        m.put("fatal", fatal);
        m.put("environment", environment);
        m.put("options", options);
        m.put("summary", Report.summaryRows(this).stream().map(Report.Row::toMap).toList());
        m.put("stages", stages);
        m.put("failures", failures);
        m.put("seed", seed);
        m.put("pgbenchPhases", pgbenchPhases);
        m.put("ledgerPhases", ledgerPhases);
        m.put("sweep", sweep);
        m.put("deepVsShallow", deep);
        m.put("rebuild", rebuild);
        m.put("rebuildAgain", rebuildAgain);
        m.put("warmUpScrapes", warmUpScrapes);
        m.put("warmUpSeconds", warmUpSeconds);
        m.put("warmUpLastJitCores", Double.isNaN(warmUpLastJitCores) ? null : warmUpLastJitCores);
        m.put("errors", errors);
        m.put("errorSamples", errorSamples);
        return m;
    }

    /**
     * The mean machine CPU (milliseconds of busy time) per operation over the phases whose name
     * starts with {@code prefix}; NaN when none carries the figure.
     */
    double meanCpuPerOp(List<Map<String, Object>> phases, String prefix) {
        double sum = 0;
        int n = 0;
        for (Map<String, Object> phase : phases) {
            if (String.valueOf(phase.get("name")).startsWith(prefix) && phase.get("cpu") instanceof Map<?, ?> cpu
                    && cpu.get("machineBusyMillisPerOp") instanceof Number perOp) {
                sum += perOp.doubleValue();
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }
}

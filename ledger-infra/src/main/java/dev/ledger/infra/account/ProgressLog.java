package dev.ledger.infra.account;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;

/** Logs a long replay's progress (percentage and events per second) at most every two seconds. */
public final class ProgressLog {

    private static final Duration INTERVAL = Duration.ofSeconds(2);

    private final Logger log;
    private final String what;
    private final Clock clock;
    private final Instant started;
    private final long total;
    private Instant last;

    public ProgressLog(Logger log, String what, Clock clock, long total) {
        this.log = log;
        this.what = what;
        this.clock = clock;
        this.started = clock.instant();
        this.total = total;
        this.last = started;
    }

    /** Logs if the interval has passed; true when it did. */
    public boolean tick(long processed) {
        Instant now = clock.instant();
        if (Duration.between(last, now).compareTo(INTERVAL) < 0) {
            return false;
        }
        last = now;
        log.info("{}: {}% ({} of {} events, {} events/s)", what, Math.round(percent(processed)), processed, total,
                Math.round(perSecond(processed, now)));
        return true;
    }

    public double percent(long processed) {
        return total == 0 ? 100.0 : 100.0 * processed / total;
    }

    public double perSecond(long processed, Instant now) {
        return processed / (Math.max(Duration.between(started, now).toMillis(), 1) / 1000.0);
    }
}

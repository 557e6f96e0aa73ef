package dev.ledger.api.account;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/** @param minVersionWaitMax how long a read with {@code minVersion} waits for the read model */
@ConfigurationProperties("ledger.reads")
public record ReadProperties(@DefaultValue("PT2S") Duration minVersionWaitMax) {

    public ReadProperties {
        if (minVersionWaitMax.isNegative() || minVersionWaitMax.compareTo(Duration.ofSeconds(30)) > 0) {
            throw new IllegalArgumentException("ledger.reads.min-version-wait-max must be 0..30 seconds");
        }
    }
}

package dev.ledger.api.security;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param apiKeys each {@code <client-id>:<role>:<sha-256 of the key, hex>}, e.g. from the environment
 *                variable {@code LEDGER_SECURITY_API_KEYS} (comma-separated). Only hashes are
 *                configured; the keys themselves are never stored or logged. With none configured,
 *                the development keys work (except under the {@code prod} profile, which refuses
 *                to start).
 */
@ConfigurationProperties("ledger.security")
public record SecurityProperties(@DefaultValue List<String> apiKeys) {
}

package dev.ledger.api.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.env.Environment;
import org.springframework.core.env.Profiles;
import org.springframework.stereotype.Component;

/**
 * The API keys the service accepts, held as SHA-256 hashes: a key is a long random secret, so a
 * plain digest is enough to make a leaked configuration useless, and comparing digests in
 * constant time gives nothing away about how close a guess was.
 */
@Component
public class ApiKeys {

    private static final Logger log = LoggerFactory.getLogger(ApiKeys.class);

    /** Development keys, honoured only while no key is configured and the prod profile is off. */
    public static final String DEV_PAYMENTS_KEY = "dev-payments-key";
    public static final String DEV_AUDITOR_KEY = "dev-auditor-key";
    public static final String DEV_ADMIN_KEY = "dev-admin-key";

    private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Pattern SHA_256_HEX = Pattern.compile("[0-9a-fA-F]{64}");

    private final List<Entry> entries;

    ApiKeys(SecurityProperties properties, Environment environment) {
        List<Entry> configured = properties.apiKeys().stream().filter(line -> !line.isBlank())
                .map(ApiKeys::parse).toList();
        if (configured.isEmpty()) {
            if (environment.acceptsProfiles(Profiles.of("prod"))) {
                throw new IllegalStateException("The prod profile needs API keys: set ledger.security.api-keys"
                        + " (LEDGER_SECURITY_API_KEYS=<client>:<role>:<sha-256 hex>,...). Refusing to start.");
            }
            log.warn("""

                    ************************************************************************
                    NO API KEYS CONFIGURED: the development keys dev-payments-key,
                    dev-auditor-key and dev-admin-key are accepted. Never run like this
                    with real money; configure ledger.security.api-keys (or start with the
                    prod profile, which refuses to run without them).
                    ************************************************************************""");
            configured = List.of(
                    new Entry("dev-payments", Role.PAYMENTS, sha256(DEV_PAYMENTS_KEY)),
                    new Entry("dev-auditor", Role.AUDITOR, sha256(DEV_AUDITOR_KEY)),
                    new Entry("dev-admin", Role.ADMIN, sha256(DEV_ADMIN_KEY)));
        } else {
            log.info("{} API keys configured", configured.size());
        }
        this.entries = configured;
    }

    /** The client a bearer key belongs to; every configured hash is compared, in constant time. */
    public Optional<Client> authenticate(String key) {
        byte[] presented = sha256(key);
        Client found = null;
        for (Entry entry : entries) {
            if (MessageDigest.isEqual(entry.hash(), presented)) {
                found = new Client(entry.clientId(), entry.role());
            }
        }
        return Optional.ofNullable(found);
    }

    private static Entry parse(String line) {
        String[] parts = line.trim().split(":");
        if (parts.length != 3 || !CLIENT_ID.matcher(parts[0]).matches() || !SHA_256_HEX.matcher(parts[2]).matches()) {
            throw new IllegalStateException("ledger.security.api-keys entries must be <client-id>:<role>:<sha-256 hex>;"
                    + " one is not (its key hash is not shown)");
        }
        Role role;
        try {
            role = Role.valueOf(parts[1].trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException unknown) {
            throw new IllegalStateException("unknown role in ledger.security.api-keys: " + parts[1]
                    + "; use one of " + Arrays.toString(Role.values()));
        }
        return new Entry(parts[0], role, HexFormat.of().parseHex(parts[2].toLowerCase(Locale.ROOT)));
    }

    static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException("every JVM has SHA-256", impossible);
        }
    }

    private record Entry(String clientId, Role role, byte[] hash) {
    }
}

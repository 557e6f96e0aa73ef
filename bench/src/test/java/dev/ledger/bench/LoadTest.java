package dev.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The requests the load generator writes: one deposit each, with a key of the kind asked for. */
class LoadTest {

    private final Load load = new Load("127.0.0.1", 18080, "Bearer key", "tag", true);

    @Test
    void random_keys_are_version_4_uuids_and_differ_from_request_to_request() {
        byte[] prefix = load.prefix("acc-1");
        byte[] buf = new byte[prefix.length + 36 + 200];
        Random random = new Random(42);
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < 1_000; i++) {
            String request = new String(buf, 0, Load.build(buf, prefix, random), StandardCharsets.US_ASCII);
            assertThat(request).startsWith("POST /api/v1/accounts/acc-1/deposits HTTP/1.1\r\n")
                    .endsWith("\r\n\r\n" + Load.BODY);
            UUID key = UUID.fromString(key(request));
            assertThat(key.version()).isEqualTo(4);
            assertThat(key.variant()).isEqualTo(2);
            keys.add(key.toString());
        }
        assertThat(keys).hasSize(1_000);
    }

    @Test
    void sequential_keys_are_the_tag_and_the_counter() {
        byte[] prefix = load.prefix("acc-1");
        byte[] tag = "run-3-7-".getBytes(StandardCharsets.US_ASCII);
        byte[] buf = new byte[prefix.length + tag.length + 20 + 200];
        String request = new String(buf, 0, Load.build(buf, prefix, tag, 1234), StandardCharsets.US_ASCII);
        assertThat(key(request)).isEqualTo("run-3-7-1234");
        assertThat(request).endsWith("\r\n\r\n" + Load.BODY);
    }

    private static String key(String request) {
        int start = request.indexOf("Idempotency-Key: ") + "Idempotency-Key: ".length();
        return request.substring(start, request.indexOf("\r\n", start));
    }
}

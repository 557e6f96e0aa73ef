package dev.ledger.infra.inbox;

import java.util.List;
import java.util.Objects;

/**
 * An idempotent request about to be executed.
 *
 * @param key         the client and its idempotency key
 * @param fingerprint a digest of everything that makes two requests the same request
 * @param accountIds  the accounts the request writes to; commands on one account run one at a time
 */
public record InboxRequest(InboxKey key, String fingerprint, List<String> accountIds) {

    public InboxRequest {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(fingerprint, "fingerprint");
        accountIds = List.copyOf(accountIds);
    }
}

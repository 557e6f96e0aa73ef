package dev.ledger.api.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.support.LedgerClient;
import dev.ledger.support.LedgerClient.Reply;
import java.util.ArrayList;
import java.util.List;

/**
 * An account's whole history as auditors read it ({@code GET /api/v1/accounts/{id}/events}), paged
 * through and checked on the way: versions 1..n with no gap or duplicate, an opening first, and
 * every balance the one before it plus or minus the line's amount.
 */
record History(String accountId, List<JsonNode> lines) {

    private static final int PAGE = 1000;

    static History read(LedgerClient ledger, String accountId) {
        List<JsonNode> lines = new ArrayList<>();
        long after = 0;
        while (true) {
            Reply page = ledger.get("/api/v1/accounts/" + accountId + "/events?afterVersion=" + after
                    + "&limit=" + PAGE);
            assertThat(page.status()).as("history page of %s: %s", accountId, page.body()).isEqualTo(200);
            JsonNode items = page.json().get("items");
            items.forEach(lines::add);
            if (items.size() < PAGE) {
                break;
            }
            after = page.json().get("nextAfterVersion").asLong();
        }
        long balance = 0;
        for (int i = 0; i < lines.size(); i++) {
            JsonNode line = lines.get(i);
            assertThat(line.get("version").asLong()).as("version of line %d of %s", i, accountId).isEqualTo(i + 1);
            String type = line.get("type").asText();
            if (i == 0) {
                assertThat(type).as("first line of %s", accountId).isEqualTo("ACCOUNT_OPENED");
            } else {
                long amount = line.get("amount").asLong();
                switch (type) {
                    case "DEPOSIT", "TRANSFER_CREDIT" -> balance += amount;
                    case "WITHDRAWAL", "TRANSFER_DEBIT" -> balance -= amount;
                    default -> fail("unexpected line in the history of " + accountId + ": " + line);
                }
            }
            assertThat(line.get("balanceAfter").asLong()).as("balanceAfter of %s in %s", line, accountId)
                    .isEqualTo(balance);
        }
        return new History(accountId, List.copyOf(lines));
    }

    long version() {
        return lines.size();
    }

    long balance() {
        return lines.isEmpty() ? 0 : lines.get(lines.size() - 1).get("balanceAfter").asLong();
    }

    /** The lines of one type, in version order. */
    List<JsonNode> ofType(String type) {
        return lines.stream().filter(line -> line.get("type").asText().equals(type)).toList();
    }

    /** The lines of one type that name the transfer. */
    List<JsonNode> legs(String type, String transferId) {
        return ofType(type).stream().filter(line -> line.hasNonNull("transferId")
                && line.get("transferId").asText().equals(transferId)).toList();
    }
}

package dev.ledger.api.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.support.LedgerClient;
import dev.ledger.support.LedgerClient.Reply;
import java.util.ArrayList;
import java.util.List;

/** Reads through the REST API that several read-model tests share, each checked as it is read. */
final class Api {

    private Api() {
    }

    /** The account's whole history from the event store (GET .../events), checked to be a consecutive fold. */
    static List<JsonNode> history(LedgerClient ledger, String accountId) {
        Reply page = ledger.get("/api/v1/accounts/" + accountId + "/events?limit=1000");
        assertThat(page.status()).as(page.body()).isEqualTo(200);
        List<JsonNode> items = new ArrayList<>();
        page.json().get("items").forEach(items::add);
        assertThat(items).as("history of %s", accountId).isNotEmpty().hasSizeLessThan(1000);
        long balance = 0;
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            assertThat(item.get("version").asLong()).as("version of history line %d of %s", i, accountId)
                    .isEqualTo(i + 1);
            switch (item.get("type").asText()) {
                case "ACCOUNT_OPENED" -> assertThat(i).as("opening of %s", accountId).isZero();
                case "DEPOSIT" -> balance += item.get("amount").asLong();
                case "WITHDRAWAL" -> balance -= item.get("amount").asLong();
                default -> throw new AssertionError("unexpected history line " + item);
            }
            assertThat(item.get("balanceAfter").asLong()).as("balanceAfter of %s", item).isEqualTo(balance);
        }
        return items;
    }

    /** The whole global feed, paged through with {@code nextAfterPosition}. */
    static List<JsonNode> feed(LedgerClient ledger, long afterPosition, int limit) {
        List<JsonNode> items = new ArrayList<>();
        long after = afterPosition;
        for (int pages = 0; ; pages++) {
            assertThat(pages).as("pages of the feed").isLessThan(100_000);
            Reply page = ledger.get("/api/v1/events?afterPosition=" + after + "&limit=" + limit);
            assertThat(page.status()).as(page.body()).isEqualTo(200);
            JsonNode body = page.json();
            JsonNode pageItems = body.get("items");
            assertThat(pageItems.size()).as("page size").isLessThanOrEqualTo(limit);
            if (pageItems.isEmpty()) {
                assertThat(body.get("nextAfterPosition").asLong()).as("next position of an empty page")
                        .isEqualTo(after);
                return items;
            }
            pageItems.forEach(items::add);
            long next = body.get("nextAfterPosition").asLong();
            assertThat(next).as("nextAfterPosition is the page's last position")
                    .isEqualTo(pageItems.get(pageItems.size() - 1).get("position").asLong());
            after = next;
        }
    }

    /** Asserts an RFC 9457 problem with the contract's shape and code. */
    static JsonNode assertProblem(Reply reply, int status, String code) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(status);
        assertThat(reply.header("Content-Type")).as("content type of %s", reply).startsWith("application/problem+json");
        JsonNode body = reply.json();
        assertThat(body.get("code").asText()).as(reply.body()).isEqualTo(code);
        assertThat(body.get("status").asInt()).isEqualTo(status);
        assertThat(body.hasNonNull("type")).as("type in %s", reply.body()).isTrue();
        assertThat(body.hasNonNull("title")).as("title in %s", reply.body()).isTrue();
        assertThat(body.hasNonNull("detail")).as("detail in %s", reply.body()).isTrue();
        return body;
    }

    static JsonNode created(Reply reply) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
        return reply.json();
    }
}

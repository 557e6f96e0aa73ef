package dev.ledger.api.feed;

import dev.ledger.api.web.RequestValues;
import dev.ledger.infra.account.LedgerEntry;
import dev.ledger.infra.projection.ReadModels;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Instant;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The global feed: every account's events in the order the relay delivered them. */
@RestController
@Tag(name = "feed")
class FeedController {

    private static final int LIMIT_DEFAULT = 100;

    private final ReadModels readModels;

    FeedController(ReadModels readModels) {
        this.readModels = readModels;
    }

    @Operation(summary = "The global feed, for reconciliation jobs",
            description = "Positions strictly increase; paging by nextAfterPosition sees each account's versions"
                    + " 1..n exactly once, in order.")
    @GetMapping(path = "/api/v1/events", produces = MediaType.APPLICATION_JSON_VALUE)
    FeedPage feed(@Parameter(description = "Start after this position; default 0")
                  @RequestParam(required = false) String afterPosition,
                  @Parameter(description = "1 to 1000; default 100")
                  @RequestParam(required = false) String limit) {
        long after = RequestValues.longParameter("afterPosition", afterPosition, 0, Long.MAX_VALUE - 1, 0);
        int size = (int) RequestValues.longParameter("limit", limit, 1, ReadModels.FEED_LIMIT_MAX, LIMIT_DEFAULT);
        List<FeedItem> items = readModels.feed(after, size).stream()
                .map(found -> FeedItem.of(found.position(), found.entry())).toList();
        return new FeedPage(items, items.isEmpty() ? after : items.get(items.size() - 1).position());
    }

    /** One relayed event. */
    record FeedItem(long position, String accountId, long version, String type, Long amount, String currency,
                    long balanceAfter, Instant occurredAt, String entryId, String transferId, String reference) {

        static FeedItem of(long position, LedgerEntry entry) {
            return new FeedItem(position, entry.accountId(), entry.version(), entry.type(), entry.amount(),
                    entry.currency(), entry.balanceAfter(), entry.occurredAt(), entry.entryId(), entry.transferId(),
                    entry.reference());
        }
    }

    /** A page of the feed; {@code nextAfterPosition} is where the next page starts. */
    record FeedPage(List<FeedItem> items, long nextAfterPosition) {
    }
}

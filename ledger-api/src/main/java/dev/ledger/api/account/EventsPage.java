package dev.ledger.api.account;

import java.util.List;

/** A page of history; {@code nextAfterVersion} is where the next page starts. */
public record EventsPage(List<EventItem> items, long nextAfterVersion) {
}

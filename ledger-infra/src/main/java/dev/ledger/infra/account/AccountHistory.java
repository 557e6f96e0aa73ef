package dev.ledger.infra.account;

import dev.ledger.domain.LedgerRuleViolation;
import dev.ledger.domain.account.AccountEvent;
import dev.ledger.domain.account.AccountNotFoundException;
import dev.ledger.domain.account.AccountOpenedEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.axonframework.eventsourcing.eventstore.DomainEventStream;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Reads an account's stream from the event store. Each event records the version and balance
 * after it, so the current state is the opening event (currency, overdraft) plus the last event.
 */
@Service
// Joined by commands (a transfer reads both accounts first): a refusal found here, such as an
// unknown account, must not doom the caller's transaction, which stores the refusal as the answer.
@Transactional(readOnly = true, noRollbackFor = LedgerRuleViolation.class)
public class AccountHistory {

    /** The most events one page of history may hold. */
    public static final int PAGE_LIMIT_MAX = 1000;

    private final EventStore eventStore;

    AccountHistory(EventStore eventStore) {
        this.eventStore = eventStore;
    }

    public boolean exists(String accountId) {
        return eventStore.lastSequenceNumberFor(accountId).isPresent();
    }

    public AccountState current(String accountId) {
        long lastSequence = eventStore.lastSequenceNumberFor(accountId)
                .orElseThrow(() -> new AccountNotFoundException(accountId));
        AccountOpenedEvent opened = (AccountOpenedEvent) first(eventStore.readEvents(accountId, 0));
        AccountEvent last = first(eventStore.readEvents(accountId, lastSequence));
        return new AccountState(accountId, opened.currency(), last.balanceAfter(), opened.overdraftLimit(),
                last.version());
    }

    /**
     * @param afterVersion the version after which the page starts (0 for the opening event)
     * @param limit        1 to {@link #PAGE_LIMIT_MAX} events
     */
    public List<AccountEvent> page(String accountId, long afterVersion, int limit) {
        if (limit < 1 || limit > PAGE_LIMIT_MAX || afterVersion < 0) {
            throw new IllegalArgumentException("page bounds out of range");
        }
        if (eventStore.lastSequenceNumberFor(accountId).isEmpty()) {
            throw new AccountNotFoundException(accountId);
        }
        // Axon numbers events from 0; the ledger's version is the count of events, so the event
        // with version v has sequence number v - 1 and the page starts at sequence afterVersion.
        DomainEventStream stream = eventStore.readEvents(accountId, afterVersion);
        List<AccountEvent> page = new ArrayList<>(Math.min(limit, 128));
        while (page.size() < limit && stream.hasNext()) {
            AccountEvent event = (AccountEvent) stream.next().getPayload();
            long expected = afterVersion + page.size() + 1;
            if (event.version() != expected) {
                throw new IllegalStateException("account " + accountId + " history has version "
                        + event.version() + " where " + expected + " belongs");
            }
            page.add(event);
        }
        return page;
    }

    private static AccountEvent first(DomainEventStream stream) {
        return Optional.of(stream).filter(DomainEventStream::hasNext)
                .map(s -> (AccountEvent) s.next().getPayload())
                .orElseThrow(() -> new IllegalStateException("expected an event that is not in the store"));
    }

    /** An account as its event stream says it is now. */
    public record AccountState(String accountId, String currency, long balance, long overdraftLimit,
                               long version) {
    }
}

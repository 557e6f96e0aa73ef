package dev.ledger.api.account;

import dev.ledger.api.idempotency.Answers;
import dev.ledger.domain.account.AccountOpenedEvent;
import dev.ledger.domain.account.DepositMoneyCommand;
import dev.ledger.domain.account.OpenAccountCommand;
import dev.ledger.domain.account.Origin;
import dev.ledger.domain.account.WithdrawMoneyCommand;
import dev.ledger.infra.account.AccountCommands;
import dev.ledger.infra.inbox.StoredResponse;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;

/**
 * The writes on accounts, as actions for the idempotent executor: each sends its command and
 * renders the answer the client gets, now and on every replay.
 */
@Component
class AccountWrites {

    static final String ACCOUNTS_PATH = "/api/v1/accounts/";

    private final AccountCommands commands;
    private final Answers answers;
    private final Clock clock;

    AccountWrites(AccountCommands commands, Answers answers, Clock clock) {
        this.commands = commands;
        this.answers = answers;
        this.clock = clock;
    }

    Function<String, StoredResponse> open(String accountId, String currency, long overdraftLimit, String clientId) {
        return requestId -> answer(() -> {
            AccountOpenedEvent opened = commands.open(
                    new OpenAccountCommand(accountId, currency, overdraftLimit, origin(requestId, clientId)));
            AccountResponse body = new AccountResponse(opened.accountId(), opened.currency(), opened.balanceAfter(),
                    opened.overdraftLimit(), opened.version());
            return created(body, opened.version(), ACCOUNTS_PATH + opened.accountId());
        });
    }

    Function<String, StoredResponse> deposit(String accountId, long amount, String currency, String reference,
                                             Long expectedVersion, String clientId) {
        return requestId -> answer(() -> {
            var deposited = commands.deposit(new DepositMoneyCommand(accountId, newEntryId(), amount, currency,
                    reference, expectedVersion, origin(requestId, clientId)));
            return created(EntryResponse.of(deposited), deposited.version(), null);
        });
    }

    Function<String, StoredResponse> withdraw(String accountId, long amount, String currency, String reference,
                                              Long expectedVersion, String clientId) {
        return requestId -> answer(() -> {
            var withdrawn = commands.withdraw(new WithdrawMoneyCommand(accountId, newEntryId(), amount, currency,
                    reference, expectedVersion, origin(requestId, clientId)));
            return created(EntryResponse.of(withdrawn), withdrawn.version(), null);
        });
    }

    private StoredResponse answer(Supplier<StoredResponse> work) {
        return answers.answer(work);
    }

    private StoredResponse created(Object body, long version, String location) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(HttpHeaders.ETAG, "\"" + version + "\"");
        if (location != null) {
            headers.put(HttpHeaders.LOCATION, location);
        }
        return answers.json(201, body, headers);
    }

    /**
     * When the command was accepted, to the microsecond: the outbox, the feed and the statements
     * keep it in PostgreSQL timestamps (microseconds), so a finer instant in the event store would
     * make the same event show two different times (history versus feed and statements).
     */
    private Origin origin(String requestId, String clientId) {
        return new Origin(clock.instant(), requestId, clientId);
    }

    private static String newEntryId() {
        return UUID.randomUUID().toString();
    }
}

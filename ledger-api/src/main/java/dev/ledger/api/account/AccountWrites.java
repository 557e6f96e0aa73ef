package dev.ledger.api.account;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.api.problem.Problem;
import dev.ledger.api.problem.Problems;
import dev.ledger.domain.LedgerRuleViolation;
import dev.ledger.domain.account.AccountOpenedEvent;
import dev.ledger.domain.account.DepositMoneyCommand;
import dev.ledger.domain.account.InvalidAccountIdException;
import dev.ledger.domain.account.OpenAccountCommand;
import dev.ledger.domain.account.Origin;
import dev.ledger.domain.account.WithdrawMoneyCommand;
import dev.ledger.domain.money.InvalidAmountException;
import dev.ledger.domain.money.InvalidCurrencyException;
import dev.ledger.infra.account.AccountCommands;
import dev.ledger.infra.inbox.StoredResponse;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;

/**
 * The writes on accounts, as actions for the idempotent executor: each sends its command and
 * renders the answer the client gets, now and on every replay.
 */
@Component
class AccountWrites {

    static final String ACCOUNTS_PATH = "/api/v1/accounts/";

    private final AccountCommands commands;
    private final ObjectMapper json;
    private final Problems problems;
    private final Clock clock;

    AccountWrites(AccountCommands commands, ObjectMapper json, Problems problems, Clock clock) {
        this.commands = commands;
        this.json = json;
        this.problems = problems;
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

    /**
     * Refusals that depend on the ledger's state are answers, stored and replayed like successes.
     * Refusals of malformed input are not: validation should have caught them before any command
     * ran, and they must leave nothing behind, so they propagate and roll the transaction back.
     */
    private StoredResponse answer(Supplier<StoredResponse> work) {
        try {
            return work.get();
        } catch (InvalidAmountException | InvalidCurrencyException | InvalidAccountIdException malformed) {
            throw malformed;
        } catch (LedgerRuleViolation refusal) {
            Problem problem = Problems.of(refusal);
            return new StoredResponse(problem.status(), problems.headers(problem), problems.body(problem));
        }
    }

    private StoredResponse created(Object body, long version, String location) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(HttpHeaders.CONTENT_TYPE, MediaType.APPLICATION_JSON_VALUE);
        headers.put(HttpHeaders.ETAG, "\"" + version + "\"");
        if (location != null) {
            headers.put(HttpHeaders.LOCATION, location);
        }
        try {
            return new StoredResponse(201, headers, json.writeValueAsBytes(body));
        } catch (JsonProcessingException impossible) {
            throw new IllegalStateException("response records always serialize", impossible);
        }
    }

    private Origin origin(String requestId, String clientId) {
        return new Origin(clock.instant(), requestId, clientId);
    }

    private static String newEntryId() {
        return UUID.randomUUID().toString();
    }
}

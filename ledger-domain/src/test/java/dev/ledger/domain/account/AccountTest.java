package dev.ledger.domain.account;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.domain.money.BalanceOverflowException;
import dev.ledger.domain.money.InvalidAmountException;
import dev.ledger.domain.money.InvalidCurrencyException;
import dev.ledger.domain.money.Money;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.axonframework.messaging.annotation.MessageHandlerInvocationException;
import org.axonframework.test.aggregate.AggregateTestFixture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The account's rules, driven through Axon's aggregate fixture: given a history, when a command,
 * expect the events it produces or the rule it breaks.
 *
 * <p>Besides the fixture's own expectations, a command handler interceptor keeps the exception the
 * aggregate actually threw, so that the fields of a refusal (for example the current version of a
 * {@link VersionConflictException}) can be checked on the very object the aggregate produced.
 */
class AccountTest {

    private static final Origin ORIGIN = new Origin(Instant.parse("2026-01-01T00:00:00Z"), "req-1", "client-1");
    private static final String ID = "acc-1";
    private static final String EUR = "EUR";
    private static final String USD = "USD";

    private AggregateTestFixture<Account> fixture;
    private final AtomicReference<Exception> thrownByHandler = new AtomicReference<>();

    @BeforeEach
    void setUp() {
        fixture = new AggregateTestFixture<>(Account.class);
        fixture.registerCommandTargetResolver(new AccountCommandTarget());
        MessageHandlerInterceptor<CommandMessage<?>> keepException = (unitOfWork, chain) -> {
            try {
                return chain.proceed();
            } catch (Exception e) {
                thrownByHandler.set(e);
                throw e;
            }
        };
        fixture.registerCommandHandlerInterceptor(keepException);
    }

    // ---- events and commands -------------------------------------------------------------------

    private static AccountOpenedEvent opened(long overdraftLimit) {
        return new AccountOpenedEvent(ID, EUR, overdraftLimit, 1, 0, ORIGIN);
    }

    private static MoneyDepositedEvent deposited(long amount, long version, long balanceAfter) {
        return new MoneyDepositedEvent(ID, "e-" + version, amount, EUR, "ref", version, balanceAfter, ORIGIN);
    }

    private static MoneyWithdrawnEvent withdrawn(long amount, long version, long balanceAfter) {
        return new MoneyWithdrawnEvent(ID, "e-" + version, amount, EUR, "ref", version, balanceAfter, ORIGIN);
    }

    private static OpenAccountCommand open(String accountId, String currency, long overdraftLimit) {
        return new OpenAccountCommand(accountId, currency, overdraftLimit, ORIGIN);
    }

    private static DepositMoneyCommand deposit(long amount) {
        return deposit(amount, EUR, null);
    }

    private static DepositMoneyCommand deposit(long amount, String currency, Long expectedVersion) {
        return new DepositMoneyCommand(ID, "e-new", amount, currency, "ref", expectedVersion, ORIGIN);
    }

    private static WithdrawMoneyCommand withdraw(long amount) {
        return withdraw(amount, EUR, null);
    }

    private static WithdrawMoneyCommand withdraw(long amount, String currency, Long expectedVersion) {
        return new WithdrawMoneyCommand(ID, "e-new", amount, currency, "ref", expectedVersion, ORIGIN);
    }

    private static MoneyDepositedEvent depositedEvent(long amount, long version, long balanceAfter) {
        return new MoneyDepositedEvent(ID, "e-new", amount, EUR, "ref", version, balanceAfter, ORIGIN);
    }

    private static MoneyWithdrawnEvent withdrawnEvent(long amount, long version, long balanceAfter) {
        return new MoneyWithdrawnEvent(ID, "e-new", amount, EUR, "ref", version, balanceAfter, ORIGIN);
    }

    private <E extends Exception> E thrown(Class<E> type) {
        assertThat(thrownByHandler.get()).as("exception thrown by the aggregate").isInstanceOf(type);
        return type.cast(thrownByHandler.get());
    }

    // ---- opening -------------------------------------------------------------------------------

    @Nested
    class Opening {

        @Test
        void a_valid_open_emits_an_opened_event_at_version_1_with_a_zero_balance() {
            fixture.givenNoPriorActivity()
                    .when(open(ID, EUR, 500))
                    .expectSuccessfulHandlerExecution()
                    .expectEvents(new AccountOpenedEvent(ID, EUR, 500, 1, 0, ORIGIN));
        }

        @Test
        void an_account_may_be_opened_without_an_overdraft() {
            fixture.givenNoPriorActivity()
                    .when(open(ID, "JPY", 0))
                    .expectEvents(new AccountOpenedEvent(ID, "JPY", 0, 1, 0, ORIGIN));
        }

        @Test
        void an_account_may_be_opened_with_the_largest_allowed_overdraft() {
            fixture.givenNoPriorActivity()
                    .when(open(ID, EUR, Money.OVERDRAFT_LIMIT_MAX))
                    .expectEvents(new AccountOpenedEvent(ID, EUR, Money.OVERDRAFT_LIMIT_MAX, 1, 0, ORIGIN));
        }

        @ParameterizedTest(name = "currency \"{0}\"")
        @NullSource
        @ValueSource(strings = {"EURO", "eur", "XYZ", "EU", "", " EUR"})
        void an_account_cannot_be_opened_in_a_currency_that_is_not_an_iso_4217_code(String currency) {
            fixture.givenNoPriorActivity()
                    .when(open(ID, currency, 0))
                    .expectException(InvalidCurrencyException.class)
                    .expectNoEvents();
        }

        @ParameterizedTest(name = "overdraft {0}")
        @ValueSource(longs = {-1, Long.MIN_VALUE})
        void an_account_cannot_be_opened_with_a_negative_overdraft(long overdraftLimit) {
            fixture.givenNoPriorActivity()
                    .when(open(ID, EUR, overdraftLimit))
                    .expectException(InvalidAmountException.class)
                    .expectNoEvents();
        }

        @ParameterizedTest(name = "overdraft {0}")
        @ValueSource(longs = {Money.OVERDRAFT_LIMIT_MAX + 1, Long.MAX_VALUE})
        void an_account_cannot_be_opened_with_an_overdraft_above_the_maximum(long overdraftLimit) {
            fixture.givenNoPriorActivity()
                    .when(open(ID, EUR, overdraftLimit))
                    .expectException(InvalidAmountException.class)
                    .expectNoEvents();
        }

        static Stream<String> malformedIds() {
            return Stream.of(
                    "",
                    "a".repeat(AccountIds.LENGTH_MAX + 1),
                    "a/b",
                    "a b",
                    "../x",
                    "acc-1\n",
                    "\u00e1cc");
        }

        @ParameterizedTest(name = "account id \"{0}\"")
        @NullSource
        @MethodSource("malformedIds")
        void an_account_cannot_be_opened_under_a_malformed_id(String accountId) {
            fixture.givenNoPriorActivity()
                    .when(open(accountId, EUR, 0))
                    .expectException(InvalidAccountIdException.class)
                    .expectNoEvents();
        }

        @Test
        void an_id_of_exactly_64_allowed_characters_is_accepted() {
            String longest = "A".repeat(30) + "z".repeat(30) + "0_-9";
            assertThat(longest).hasSize(AccountIds.LENGTH_MAX);
            fixture.givenNoPriorActivity()
                    .when(open(longest, EUR, 0))
                    .expectEvents(new AccountOpenedEvent(longest, EUR, 0, 1, 0, ORIGIN));
        }
    }

    // ---- deposit -------------------------------------------------------------------------------

    @Nested
    class Deposit {

        @Test
        void a_deposit_is_recorded_at_the_next_version_with_the_balance_after_it() {
            MoneyDepositedEvent expected = depositedEvent(250, 3, 1250);
            fixture.given(opened(0), deposited(1000, 2, 1000))
                    .when(deposit(250))
                    .expectSuccessfulHandlerExecution()
                    .expectEvents(expected)
                    .expectResultMessagePayload(expected);
        }

        @Test
        void a_deposit_keeps_the_client_reference_and_origin() {
            Origin other = new Origin(Instant.parse("2026-02-03T04:05:06Z"), "req-9", "client-7");
            fixture.given(opened(0))
                    .when(new DepositMoneyCommand(ID, "entry-42", 7, EUR, null, null, other))
                    .expectEvents(new MoneyDepositedEvent(ID, "entry-42", 7, EUR, null, 2, 7, other));
        }

        @ParameterizedTest(name = "amount {0}")
        @ValueSource(longs = {0, -1, Money.AMOUNT_MAX + 1, Long.MIN_VALUE, Long.MAX_VALUE})
        void a_deposit_outside_the_amount_bounds_is_rejected(long amount) {
            fixture.given(opened(0))
                    .when(deposit(amount))
                    .expectException(InvalidAmountException.class)
                    .expectNoEvents();
        }

        @Test
        void a_deposit_of_the_largest_allowed_amount_is_accepted() {
            fixture.given(opened(0))
                    .when(deposit(Money.AMOUNT_MAX))
                    .expectEvents(depositedEvent(Money.AMOUNT_MAX, 2, Money.AMOUNT_MAX));
        }

        @Test
        void a_deposit_of_the_smallest_allowed_amount_is_accepted() {
            fixture.given(opened(0))
                    .when(deposit(Money.AMOUNT_MIN))
                    .expectEvents(depositedEvent(1, 2, 1));
        }

        @Test
        void a_deposit_in_another_currency_than_the_account_is_rejected() {
            fixture.given(opened(0))
                    .when(deposit(100, USD, null))
                    .expectException(CurrencyMismatchException.class)
                    .expectExceptionMessage("account acc-1 holds EUR, not USD")
                    .expectNoEvents();
            assertThat(thrown(CurrencyMismatchException.class).accountCurrency()).isEqualTo(EUR);
        }

        @Test
        void a_deposit_in_a_malformed_currency_is_rejected_as_invalid_not_as_a_mismatch() {
            fixture.given(opened(0))
                    .when(deposit(100, "eur", null))
                    .expectException(InvalidCurrencyException.class)
                    .expectNoEvents();
        }
    }

    // ---- overflow ------------------------------------------------------------------------------

    @Nested
    class Overflow {

        /** Deposits of the largest amount that fit below Long.MAX_VALUE. */
        private static final long FULL_DEPOSITS = Long.MAX_VALUE / Money.AMOUNT_MAX; // 9223
        private static final long BALANCE = FULL_DEPOSITS * Money.AMOUNT_MAX;
        private static final long HEADROOM = Long.MAX_VALUE - BALANCE; // 372036854775807

        /**
         * A history the aggregate itself could have written: the opening and 9223 deposits of
         * {@link Money#AMOUNT_MAX}, each with the next version and the running balance.
         */
        private List<Object> historyNearLongMax() {
            List<Object> history = new ArrayList<>();
            history.add(opened(0));
            long balance = 0;
            for (long version = 2; version <= FULL_DEPOSITS + 1; version++) {
                balance += Money.AMOUNT_MAX;
                history.add(deposited(Money.AMOUNT_MAX, version, balance));
            }
            return history;
        }

        @Test
        void the_history_ends_within_one_amount_of_long_max() {
            List<Object> history = historyNearLongMax();
            MoneyDepositedEvent last = (MoneyDepositedEvent) history.get(history.size() - 1);
            assertThat(last.version()).isEqualTo(FULL_DEPOSITS + 1);
            assertThat(last.balanceAfter()).isEqualTo(BALANCE);
            assertThat(HEADROOM).isPositive().isLessThan(Money.AMOUNT_MAX);
        }

        @Test
        void a_deposit_that_would_overflow_the_balance_is_rejected_and_records_nothing() {
            fixture.given(historyNearLongMax())
                    .when(deposit(HEADROOM + 1))
                    .expectException(BalanceOverflowException.class)
                    .expectNoEvents();
        }

        @Test
        void a_deposit_of_the_largest_amount_onto_a_balance_near_long_max_is_rejected() {
            fixture.given(historyNearLongMax())
                    .when(deposit(Money.AMOUNT_MAX))
                    .expectException(BalanceOverflowException.class)
                    .expectNoEvents();
        }

        @Test
        void a_deposit_that_lands_exactly_on_long_max_is_accepted() {
            fixture.given(historyNearLongMax())
                    .when(deposit(HEADROOM))
                    .expectEvents(depositedEvent(HEADROOM, FULL_DEPOSITS + 2, Long.MAX_VALUE));
        }
    }

    // ---- withdrawal ----------------------------------------------------------------------------

    @Nested
    class Withdrawal {

        @Test
        void a_withdrawal_exactly_at_the_overdraft_limit_is_accepted() {
            fixture.given(opened(500), deposited(1000, 2, 1000))
                    .when(withdraw(1500))
                    .expectSuccessfulHandlerExecution()
                    .expectEvents(withdrawnEvent(1500, 3, -500))
                    .expectResultMessagePayload(withdrawnEvent(1500, 3, -500));
        }

        @Test
        void a_withdrawal_one_minor_unit_past_the_overdraft_limit_is_rejected_and_records_nothing() {
            fixture.given(opened(500), deposited(1000, 2, 1000))
                    .when(withdraw(1501))
                    .expectException(InsufficientFundsException.class)
                    .expectNoEvents();
            InsufficientFundsException refusal = thrown(InsufficientFundsException.class);
            assertThat(refusal.balance()).isEqualTo(1000);
            assertThat(refusal.overdraftLimit()).isEqualTo(500);
            assertThat(refusal.amount()).isEqualTo(1501);
        }

        @Test
        void an_account_already_at_its_overdraft_limit_cannot_withdraw_one_more_minor_unit() {
            fixture.given(opened(500), withdrawn(500, 2, -500))
                    .when(withdraw(1))
                    .expectException(InsufficientFundsException.class)
                    .expectNoEvents();
        }

        @Test
        void the_largest_amount_may_be_withdrawn_from_an_empty_account_with_the_largest_overdraft() {
            fixture.given(opened(Money.OVERDRAFT_LIMIT_MAX))
                    .when(withdraw(Money.AMOUNT_MAX))
                    .expectEvents(withdrawnEvent(Money.AMOUNT_MAX, 2, -Money.AMOUNT_MAX));
        }

        @Test
        void without_an_overdraft_the_whole_balance_may_be_withdrawn() {
            fixture.given(opened(0), deposited(1000, 2, 1000))
                    .when(withdraw(1000))
                    .expectEvents(withdrawnEvent(1000, 3, 0));
        }

        @Test
        void without_an_overdraft_withdrawing_one_minor_unit_more_than_the_balance_is_rejected() {
            fixture.given(opened(0), deposited(1000, 2, 1000))
                    .when(withdraw(1001))
                    .expectException(InsufficientFundsException.class)
                    .expectNoEvents();
            InsufficientFundsException refusal = thrown(InsufficientFundsException.class);
            assertThat(refusal.balance()).isEqualTo(1000);
            assertThat(refusal.overdraftLimit()).isZero();
            assertThat(refusal.amount()).isEqualTo(1001);
        }

        @Test
        void without_an_overdraft_an_empty_account_cannot_withdraw_anything() {
            fixture.given(opened(0))
                    .when(withdraw(1))
                    .expectException(InsufficientFundsException.class)
                    .expectNoEvents();
        }

        @ParameterizedTest(name = "amount {0}")
        @ValueSource(longs = {0, -1, Money.AMOUNT_MAX + 1, Long.MIN_VALUE})
        void a_withdrawal_outside_the_amount_bounds_is_rejected(long amount) {
            fixture.given(opened(Money.OVERDRAFT_LIMIT_MAX), deposited(1000, 2, 1000))
                    .when(withdraw(amount))
                    .expectException(InvalidAmountException.class)
                    .expectNoEvents();
        }

        @Test
        void a_withdrawal_in_another_currency_than_the_account_is_rejected() {
            fixture.given(opened(0), deposited(1000, 2, 1000))
                    .when(withdraw(100, USD, null))
                    .expectException(CurrencyMismatchException.class)
                    .expectExceptionMessage("account acc-1 holds EUR, not USD")
                    .expectNoEvents();
            assertThat(thrown(CurrencyMismatchException.class).accountCurrency()).isEqualTo(EUR);
        }
    }

    // ---- If-Match ------------------------------------------------------------------------------

    @Nested
    class IfMatch {

        @Test
        void a_deposit_pinned_to_the_current_version_is_accepted() {
            fixture.given(opened(0), deposited(1000, 2, 1000))
                    .when(deposit(5, EUR, 2L))
                    .expectEvents(depositedEvent(5, 3, 1005));
        }

        @Test
        void a_withdrawal_pinned_to_the_current_version_is_accepted() {
            fixture.given(opened(0), deposited(1000, 2, 1000))
                    .when(withdraw(5, EUR, 2L))
                    .expectEvents(withdrawnEvent(5, 3, 995));
        }

        @Test
        void a_deposit_pinned_to_a_stale_version_is_rejected_with_the_current_version() {
            fixture.given(opened(0), deposited(1000, 2, 1000))
                    .when(deposit(5, EUR, 1L))
                    .expectException(VersionConflictException.class)
                    .expectExceptionMessage("account acc-1 is at version 2, not 1")
                    .expectNoEvents();
            VersionConflictException conflict = thrown(VersionConflictException.class);
            assertThat(conflict.currentVersion()).isEqualTo(2);
            assertThat(conflict.expectedVersion()).isEqualTo(1);
        }

        @Test
        void a_deposit_pinned_to_a_future_version_is_rejected_with_the_current_version() {
            fixture.given(opened(0), deposited(1000, 2, 1000))
                    .when(deposit(5, EUR, 3L))
                    .expectException(VersionConflictException.class)
                    .expectExceptionMessage("account acc-1 is at version 2, not 3")
                    .expectNoEvents();
            VersionConflictException conflict = thrown(VersionConflictException.class);
            assertThat(conflict.currentVersion()).isEqualTo(2);
            assertThat(conflict.expectedVersion()).isEqualTo(3);
        }

        @Test
        void a_withdrawal_pinned_to_a_stale_version_is_rejected_with_the_current_version() {
            fixture.given(opened(0), deposited(1000, 2, 1000), withdrawn(100, 3, 900))
                    .when(withdraw(5, EUR, 2L))
                    .expectException(VersionConflictException.class)
                    .expectExceptionMessage("account acc-1 is at version 3, not 2")
                    .expectNoEvents();
            VersionConflictException conflict = thrown(VersionConflictException.class);
            assertThat(conflict.currentVersion()).isEqualTo(3);
            assertThat(conflict.expectedVersion()).isEqualTo(2);
        }

        @Test
        void a_withdrawal_pinned_to_a_future_version_is_rejected_with_the_current_version() {
            fixture.given(opened(0), deposited(1000, 2, 1000))
                    .when(withdraw(5, EUR, 7L))
                    .expectException(VersionConflictException.class)
                    .expectNoEvents();
            VersionConflictException conflict = thrown(VersionConflictException.class);
            assertThat(conflict.currentVersion()).isEqualTo(2);
            assertThat(conflict.expectedVersion()).isEqualTo(7);
        }
    }

    // ---- seed incident -------------------------------------------------------------------------

    @Nested
    class SeedIncident {

        @Test
        void opening_then_depositing_1000_then_withdrawing_800_leaves_200_at_version_3() {
            fixture.givenCommands(open(ID, EUR, 0), deposit(1000))
                    .when(withdraw(800))
                    .expectSuccessfulHandlerExecution()
                    .expectEvents(withdrawnEvent(800, 3, 200))
                    .expectResultMessagePayload(withdrawnEvent(800, 3, 200));
        }

        @Test
        void the_same_incident_replayed_from_events_gives_the_same_result() {
            fixture.given(opened(0), deposited(1000, 2, 1000))
                    .when(withdraw(800))
                    .expectEvents(withdrawnEvent(800, 3, 200));
        }
    }

    // ---- replay invariants ---------------------------------------------------------------------

    /**
     * A corrupt history must stop the replay: an event sourcing handler throws an
     * IllegalStateException while the account is loaded, the command fails and nothing is recorded.
     * Axon wraps exceptions from event sourcing handlers in a MessageHandlerInvocationException, and
     * the fixture records it as the command's outcome (its {@code when} does not throw), so the
     * failure is asserted with {@code expectException} and then on the exception's cause.
     */
    @Nested
    class Replay {

        private IllegalStateException replayFailure(Object... history) {
            fixture.given(history)
                    .when(deposit(1))
                    .expectException(MessageHandlerInvocationException.class)
                    .expectNoEvents();
            Throwable cause = thrown(MessageHandlerInvocationException.class).getCause();
            assertThat(cause).isExactlyInstanceOf(IllegalStateException.class);
            return (IllegalStateException) cause;
        }

        private void assertReplayRefused(String message, Object... history) {
            assertThat(replayFailure(history)).hasMessage(message);
        }

        @Test
        void a_consistent_history_replays_and_accepts_the_next_command() {
            // The control case for the corrupt histories below.
            fixture.given(opened(500), deposited(100, 2, 100), withdrawn(300, 3, -200), deposited(50, 4, -150))
                    .when(deposit(1))
                    .expectEvents(depositedEvent(1, 5, -149));
        }

        @Test
        void a_history_with_a_version_gap_is_refused() {
            assertReplayRefused("account acc-1 at version 1 cannot apply an event for version 3",
                    opened(0), deposited(100, 3, 100));
        }

        @Test
        void a_history_with_a_duplicated_event_is_refused() {
            assertReplayRefused("account acc-1 at version 2 cannot apply an event for version 2",
                    opened(0), deposited(100, 2, 100), deposited(100, 2, 200));
        }

        @Test
        void a_history_with_events_out_of_order_is_refused() {
            assertReplayRefused("account acc-1 at version 1 cannot apply an event for version 3",
                    opened(0), deposited(50, 3, 150), deposited(100, 2, 100));
        }

        @Test
        void a_history_that_does_not_start_at_version_1_is_refused() {
            assertReplayRefused("account acc-1 at version 0 cannot apply an event for version 2",
                    new AccountOpenedEvent(ID, EUR, 0, 2, 0, ORIGIN));
        }

        @Test
        void a_deposit_whose_balance_after_does_not_match_its_amount_is_refused() {
            assertReplayRefused("account acc-1 event 2 records balance 150 but its history gives 100",
                    opened(0), deposited(100, 2, 150));
        }

        @Test
        void a_withdrawal_whose_balance_after_does_not_match_its_amount_is_refused() {
            assertReplayRefused("account acc-1 event 3 records balance 900 but its history gives 700",
                    opened(0), deposited(1000, 2, 1000), withdrawn(300, 3, 900));
        }

        @Test
        void an_opening_with_a_nonzero_balance_is_refused() {
            assertReplayRefused("account acc-1 event 1 records balance 10 but its history gives 0",
                    new AccountOpenedEvent(ID, EUR, 0, 1, 10, ORIGIN));
        }

        @Test
        void a_history_that_goes_below_the_overdraft_limit_is_refused() {
            // The amounts and balances agree; only the overdraft limit is broken.
            assertThat(replayFailure(opened(500), withdrawn(501, 2, -501)))
                    .hasMessageStartingWith("account acc-1 event 2 ");
        }

        @Test
        void the_corrupt_history_check_also_guards_a_withdrawal() {
            fixture.given(opened(0), deposited(100, 2, 100), deposited(100, 2, 200))
                    .when(withdraw(1))
                    .expectException(MessageHandlerInvocationException.class)
                    .expectNoEvents();
            assertThat(thrown(MessageHandlerInvocationException.class))
                    .cause()
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessage("account acc-1 at version 2 cannot apply an event for version 2");
        }
    }
}

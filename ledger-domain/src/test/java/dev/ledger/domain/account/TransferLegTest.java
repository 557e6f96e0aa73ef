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
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.axonframework.messaging.annotation.MessageHandlerInvocationException;
import org.axonframework.test.aggregate.AggregateTestFixture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Proves that each leg of a transfer obeys the account's rules on its own — the debit its overdraft
 * limit, both legs the account's currency, a different and well-formed counterparty and exact
 * arithmetic — and that transfer legs fold into the balance like deposits and withdrawals.
 */
class TransferLegTest {

    private static final Origin ORIGIN = new Origin(Instant.parse("2026-01-01T00:00:00Z"), "req-1", "client-1");
    private static final String ID = "acc-1";
    private static final String OTHER = "acc-2";
    private static final String TRANSFER = "tr-1";
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
        return new MoneyDepositedEvent(ID, "e-" + version, amount, EUR, null, version, balanceAfter, ORIGIN);
    }

    private static MoneyWithdrawnEvent withdrawn(long amount, long version, long balanceAfter) {
        return new MoneyWithdrawnEvent(ID, "e-" + version, amount, EUR, null, version, balanceAfter, ORIGIN);
    }

    private static TransferDebitedEvent debited(String transferId, long amount, long version, long balanceAfter) {
        return new TransferDebitedEvent(ID, "e-" + version, transferId, OTHER, amount, EUR, null, version,
                balanceAfter, ORIGIN);
    }

    private static TransferCreditedEvent credited(String transferId, long amount, long version, long balanceAfter) {
        return new TransferCreditedEvent(ID, "e-" + version, transferId, OTHER, amount, EUR, null, version,
                balanceAfter, ORIGIN);
    }

    private static DebitForTransferCommand debit(long amount) {
        return debit(amount, EUR, OTHER);
    }

    private static DebitForTransferCommand debit(long amount, String currency, String counterparty) {
        return new DebitForTransferCommand(ID, "e-new", TRANSFER, counterparty, amount, currency, "rent", ORIGIN);
    }

    private static CreditForTransferCommand credit(long amount) {
        return credit(amount, EUR, OTHER);
    }

    private static CreditForTransferCommand credit(long amount, String currency, String counterparty) {
        return new CreditForTransferCommand(ID, "e-new", TRANSFER, counterparty, amount, currency, "rent", ORIGIN);
    }

    /** The debit the aggregate should record for {@link #debit(long)}. */
    private static TransferDebitedEvent debitedEvent(long amount, long version, long balanceAfter) {
        return new TransferDebitedEvent(ID, "e-new", TRANSFER, OTHER, amount, EUR, "rent", version, balanceAfter,
                ORIGIN);
    }

    /** The credit the aggregate should record for {@link #credit(long)}. */
    private static TransferCreditedEvent creditedEvent(long amount, long version, long balanceAfter) {
        return new TransferCreditedEvent(ID, "e-new", TRANSFER, OTHER, amount, EUR, "rent", version, balanceAfter,
                ORIGIN);
    }

    private <E extends Exception> E thrown(Class<E> type) {
        assertThat(thrownByHandler.get()).as("exception thrown by the aggregate").isInstanceOf(type);
        return type.cast(thrownByHandler.get());
    }

    // ---- debit ---------------------------------------------------------------------------------

    @Nested
    class Debit {

        @Test
        void a_debit_is_recorded_at_the_next_version_with_the_balance_less_the_amount() {
            TransferDebitedEvent expected = debitedEvent(300, 3, 700);
            fixture.given(opened(0), deposited(1000, 2, 1000))
                    .when(debit(300))
                    .expectSuccessfulHandlerExecution()
                    .expectEvents(expected)
                    .expectResultMessagePayload(expected);
        }

        @Test
        void a_debit_names_the_transfer_and_the_receiving_account() {
            fixture.given(opened(0), deposited(1000, 2, 1000))
                    .when(new DebitForTransferCommand(ID, "entry-9", "tr-77", "payee-3", 5, EUR, null, ORIGIN))
                    .expectEvents(new TransferDebitedEvent(ID, "entry-9", "tr-77", "payee-3", 5, EUR, null, 3, 995,
                            ORIGIN));
        }

        @Test
        void a_debit_exactly_at_the_overdraft_limit_is_accepted() {
            fixture.given(opened(500), deposited(1000, 2, 1000))
                    .when(debit(1500))
                    .expectSuccessfulHandlerExecution()
                    .expectEvents(debitedEvent(1500, 3, -500));
        }

        @Test
        void a_debit_one_minor_unit_past_the_overdraft_limit_is_refused_and_records_nothing() {
            fixture.given(opened(500), deposited(1000, 2, 1000))
                    .when(debit(1501))
                    .expectException(InsufficientFundsException.class)
                    .expectNoEvents();
            InsufficientFundsException refusal = thrown(InsufficientFundsException.class);
            assertThat(refusal.balance()).isEqualTo(1000);
            assertThat(refusal.overdraftLimit()).isEqualTo(500);
            assertThat(refusal.amount()).isEqualTo(1501);
        }

        @Test
        void without_an_overdraft_a_debit_of_one_more_than_the_balance_is_refused() {
            fixture.given(opened(0), deposited(1000, 2, 1000))
                    .when(debit(1001))
                    .expectException(InsufficientFundsException.class)
                    .expectNoEvents();
        }

        @Test
        void a_debit_in_another_currency_than_the_account_is_refused() {
            fixture.given(opened(0), deposited(1000, 2, 1000))
                    .when(debit(100, USD, OTHER))
                    .expectException(CurrencyMismatchException.class)
                    .expectExceptionMessage("account acc-1 holds EUR, not USD")
                    .expectNoEvents();
            assertThat(thrown(CurrencyMismatchException.class).accountCurrency()).isEqualTo(EUR);
        }

        @Test
        void a_debit_in_a_malformed_currency_is_refused_as_invalid() {
            fixture.given(opened(0), deposited(1000, 2, 1000))
                    .when(debit(100, "eur", OTHER))
                    .expectException(InvalidCurrencyException.class)
                    .expectNoEvents();
        }

        @Test
        void a_debit_whose_counterparty_is_the_account_itself_is_refused() {
            fixture.given(opened(0), deposited(1000, 2, 1000))
                    .when(debit(100, EUR, ID))
                    .expectException(SameAccountTransferException.class)
                    .expectNoEvents();
        }

        @ParameterizedTest(name = "counterparty \"{0}\"")
        @NullSource
        @ValueSource(strings = {"", "a/b", "a b", "acc-2\n"})
        void a_debit_to_a_malformed_counterparty_id_is_refused(String counterparty) {
            fixture.given(opened(0), deposited(1000, 2, 1000))
                    .when(debit(100, EUR, counterparty))
                    .expectException(InvalidAccountIdException.class)
                    .expectNoEvents();
        }

        @Test
        void a_debit_to_a_counterparty_id_one_character_too_long_is_refused() {
            fixture.given(opened(0), deposited(1000, 2, 1000))
                    .when(debit(100, EUR, "x".repeat(AccountIds.LENGTH_MAX + 1)))
                    .expectException(InvalidAccountIdException.class)
                    .expectNoEvents();
        }

        @ParameterizedTest(name = "amount {0}")
        @ValueSource(longs = {0, -1, Money.AMOUNT_MAX + 1, Long.MIN_VALUE})
        void a_debit_outside_the_amount_bounds_is_refused(long amount) {
            fixture.given(opened(Money.OVERDRAFT_LIMIT_MAX), deposited(1000, 2, 1000))
                    .when(debit(amount))
                    .expectException(InvalidAmountException.class)
                    .expectNoEvents();
        }
    }

    // ---- credit --------------------------------------------------------------------------------

    @Nested
    class Credit {

        @Test
        void a_credit_is_recorded_at_the_next_version_with_the_balance_plus_the_amount() {
            TransferCreditedEvent expected = creditedEvent(250, 3, 1250);
            fixture.given(opened(0), deposited(1000, 2, 1000))
                    .when(credit(250))
                    .expectSuccessfulHandlerExecution()
                    .expectEvents(expected)
                    .expectResultMessagePayload(expected);
        }

        @Test
        void a_credit_lifts_an_overdrawn_account() {
            fixture.given(opened(500), withdrawn(500, 2, -500))
                    .when(credit(200))
                    .expectEvents(creditedEvent(200, 3, -300));
        }

        @Test
        void a_credit_in_another_currency_than_the_account_is_refused() {
            fixture.given(opened(0))
                    .when(credit(100, USD, OTHER))
                    .expectException(CurrencyMismatchException.class)
                    .expectExceptionMessage("account acc-1 holds EUR, not USD")
                    .expectNoEvents();
        }

        @Test
        void a_credit_whose_counterparty_is_the_account_itself_is_refused() {
            fixture.given(opened(0))
                    .when(credit(100, EUR, ID))
                    .expectException(SameAccountTransferException.class)
                    .expectNoEvents();
        }

        @ParameterizedTest(name = "counterparty \"{0}\"")
        @NullSource
        @ValueSource(strings = {"", "../x", "\u00e1cc"})
        void a_credit_from_a_malformed_counterparty_id_is_refused(String counterparty) {
            fixture.given(opened(0))
                    .when(credit(100, EUR, counterparty))
                    .expectException(InvalidAccountIdException.class)
                    .expectNoEvents();
        }

        @ParameterizedTest(name = "amount {0}")
        @ValueSource(longs = {0, -1, Money.AMOUNT_MAX + 1, Long.MAX_VALUE})
        void a_credit_outside_the_amount_bounds_is_refused(long amount) {
            fixture.given(opened(0))
                    .when(credit(amount))
                    .expectException(InvalidAmountException.class)
                    .expectNoEvents();
        }
    }

    // ---- overflow ------------------------------------------------------------------------------

    @Nested
    class Overflow {

        /** Credits of the largest amount that fit below Long.MAX_VALUE. */
        private static final long FULL_CREDITS = Long.MAX_VALUE / Money.AMOUNT_MAX;
        private static final long BALANCE = FULL_CREDITS * Money.AMOUNT_MAX;
        private static final long HEADROOM = Long.MAX_VALUE - BALANCE;

        /** The opening and 9223 transfer credits of the largest amount, as the aggregate would write them. */
        private List<Object> historyNearLongMax() {
            List<Object> history = new ArrayList<>();
            history.add(opened(0));
            long balance = 0;
            for (long version = 2; version <= FULL_CREDITS + 1; version++) {
                balance += Money.AMOUNT_MAX;
                history.add(credited("tr-" + version, Money.AMOUNT_MAX, version, balance));
            }
            return history;
        }

        @Test
        void a_credit_that_would_overflow_the_balance_is_refused_and_records_nothing() {
            fixture.given(historyNearLongMax())
                    .when(credit(HEADROOM + 1))
                    .expectException(BalanceOverflowException.class)
                    .expectNoEvents();
        }

        @Test
        void a_credit_that_lands_exactly_on_long_max_is_accepted() {
            fixture.given(historyNearLongMax())
                    .when(credit(HEADROOM))
                    .expectEvents(creditedEvent(HEADROOM, FULL_CREDITS + 2, Long.MAX_VALUE));
        }
    }

    // ---- replay --------------------------------------------------------------------------------

    @Nested
    class Replay {

        /** Versions 1..7: +1000, -300 (debit), +250 (credit), -1200, +40 (credit), -90 (debit): balance -300. */
        private final Object[] mixedHistory = {
            opened(500),
            deposited(1000, 2, 1000),
            debited("tr-a", 300, 3, 700),
            credited("tr-b", 250, 4, 950),
            withdrawn(1200, 5, -250),
            credited("tr-c", 40, 6, -210),
            debited("tr-d", 90, 7, -300),
        };

        @Test
        void a_history_mixing_deposits_withdrawals_debits_and_credits_folds_to_its_balance() {
            // Folded balance -300 with an overdraft of 500: exactly 200 more may leave, at version 8.
            fixture.given(mixedHistory)
                    .when(debit(200))
                    .expectSuccessfulHandlerExecution()
                    .expectEvents(debitedEvent(200, 8, -500));
        }

        @Test
        void the_same_history_does_not_fold_to_a_balance_one_unit_higher() {
            fixture.given(mixedHistory)
                    .when(debit(201))
                    .expectException(InsufficientFundsException.class)
                    .expectNoEvents();
            assertThat(thrown(InsufficientFundsException.class).balance()).isEqualTo(-300);
        }

        @Test
        void a_credit_after_the_mixed_history_is_recorded_on_its_folded_balance() {
            fixture.given(mixedHistory)
                    .when(credit(1))
                    .expectEvents(creditedEvent(1, 8, -299));
        }

        @Test
        void a_transfer_debit_whose_balance_after_does_not_match_its_amount_stops_the_replay() {
            fixture.given(opened(0), deposited(1000, 2, 1000), debited("tr-a", 300, 3, 800))
                    .when(credit(1))
                    .expectException(MessageHandlerInvocationException.class)
                    .expectNoEvents();
            assertThat(thrown(MessageHandlerInvocationException.class)).cause()
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessage("account acc-1 event 3 records balance 800 but its history gives 700");
        }

        @Test
        void a_transfer_credit_out_of_version_order_stops_the_replay() {
            fixture.given(opened(0), credited("tr-a", 300, 3, 300))
                    .when(credit(1))
                    .expectException(MessageHandlerInvocationException.class)
                    .expectNoEvents();
            assertThat(thrown(MessageHandlerInvocationException.class)).cause()
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessage("account acc-1 at version 1 cannot apply an event for version 3");
        }

        @Test
        void a_transfer_debit_below_the_overdraft_limit_stops_the_replay() {
            fixture.given(opened(100), debited("tr-a", 101, 2, -101))
                    .when(credit(1))
                    .expectException(MessageHandlerInvocationException.class)
                    .expectNoEvents();
            assertThat(thrown(MessageHandlerInvocationException.class)).cause()
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("account acc-1 event 2 takes the balance to -101");
        }
    }
}

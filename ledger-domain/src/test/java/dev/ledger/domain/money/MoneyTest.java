package dev.ledger.domain.money;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class MoneyTest {

    @Nested
    class Arithmetic {

        @ParameterizedTest(name = "{0} + {1} = {2}")
        @CsvSource({
                "0, 1, 1",
                "1000, 250, 1250",
                "-500, 200, -300",
                "-500, 500, 0",
                "9223372036854775806, 1, 9223372036854775807",
                "-9223372036854775808, 9223372036854775807, -1",
                "999999999999999999, 1, 1000000000000000000"})
        void addition_is_exact(long balance, long amount, long sum) {
            assertThat(Money.add(balance, amount)).isEqualTo(sum);
        }

        @ParameterizedTest(name = "{0} - {1} = {2}")
        @CsvSource({
                "1000, 800, 200",
                "0, 1, -1",
                "-500, 1, -501",
                "-9223372036854775807, 1, -9223372036854775808",
                "9223372036854775807, 9223372036854775807, 0",
                "1000000000000000000, 1, 999999999999999999"})
        void subtraction_is_exact(long balance, long amount, long difference) {
            assertThat(Money.subtract(balance, amount)).isEqualTo(difference);
        }

        @Test
        void adding_past_long_max_is_an_overflow_not_a_wrapped_number() {
            assertThatThrownBy(() -> Money.add(Long.MAX_VALUE, 1))
                    .isExactlyInstanceOf(BalanceOverflowException.class)
                    .hasMessage("the resulting balance would overflow");
        }

        @Test
        void adding_the_largest_amount_to_a_balance_near_long_max_overflows() {
            assertThatThrownBy(() -> Money.add(Long.MAX_VALUE - Money.AMOUNT_MAX + 1, Money.AMOUNT_MAX))
                    .isExactlyInstanceOf(BalanceOverflowException.class);
        }

        @Test
        void adding_below_long_min_is_an_overflow() {
            assertThatThrownBy(() -> Money.add(Long.MIN_VALUE, -1))
                    .isExactlyInstanceOf(BalanceOverflowException.class);
        }

        @Test
        void subtracting_past_long_min_is_an_overflow_not_a_wrapped_number() {
            assertThatThrownBy(() -> Money.subtract(Long.MIN_VALUE, 1))
                    .isExactlyInstanceOf(BalanceOverflowException.class)
                    .hasMessage("the resulting balance would overflow");
        }

        @Test
        void subtracting_a_negative_number_past_long_max_is_an_overflow() {
            assertThatThrownBy(() -> Money.subtract(Long.MAX_VALUE, -1))
                    .isExactlyInstanceOf(BalanceOverflowException.class);
        }

        @Test
        void subtracting_long_min_from_zero_is_an_overflow() {
            assertThatThrownBy(() -> Money.subtract(0, Long.MIN_VALUE))
                    .isExactlyInstanceOf(BalanceOverflowException.class);
        }
    }

    @Nested
    class AmountBounds {

        @Test
        void the_bounds_are_one_minor_unit_to_ten_to_the_fifteenth() {
            assertThat(Money.AMOUNT_MIN).isEqualTo(1L);
            assertThat(Money.AMOUNT_MAX).isEqualTo(1_000_000_000_000_000L);
            assertThat(Money.OVERDRAFT_LIMIT_MAX).isEqualTo(Money.AMOUNT_MAX);
        }

        @ParameterizedTest(name = "amount {0}")
        @ValueSource(longs = {1, 2, 999_999_999_999_999L, 1_000_000_000_000_000L})
        void amounts_within_the_bounds_are_accepted(long amount) {
            assertThatCode(() -> Money.requireValidAmount(amount)).doesNotThrowAnyException();
        }

        @ParameterizedTest(name = "amount {0}")
        @ValueSource(longs = {0, -1, 1_000_000_000_000_001L, Long.MAX_VALUE, Long.MIN_VALUE})
        void amounts_outside_the_bounds_are_rejected(long amount) {
            assertThatThrownBy(() -> Money.requireValidAmount(amount))
                    .isExactlyInstanceOf(InvalidAmountException.class)
                    .hasMessage("amount must be between 1 and 1000000000000000 minor units");
        }

        @ParameterizedTest(name = "overdraft {0}")
        @ValueSource(longs = {0, 1, 1_000_000_000_000_000L})
        void overdraft_limits_from_zero_to_the_maximum_are_accepted(long overdraftLimit) {
            assertThatCode(() -> Money.requireValidOverdraftLimit(overdraftLimit)).doesNotThrowAnyException();
        }

        @ParameterizedTest(name = "overdraft {0}")
        @ValueSource(longs = {-1, 1_000_000_000_000_001L, Long.MAX_VALUE, Long.MIN_VALUE})
        void overdraft_limits_outside_the_bounds_are_rejected(long overdraftLimit) {
            assertThatThrownBy(() -> Money.requireValidOverdraftLimit(overdraftLimit))
                    .isExactlyInstanceOf(InvalidAmountException.class)
                    .hasMessage("overdraftLimit must be between 0 and 1000000000000000 minor units");
        }
    }

    @Nested
    class Currencies {

        @ParameterizedTest(name = "\"{0}\"")
        @ValueSource(strings = {"EUR", "USD", "JPY", "GBP", "CHF"})
        void iso_4217_codes_are_valid(String code) {
            assertThat(CurrencyCode.isValid(code)).isTrue();
            assertThat(CurrencyCode.require(code)).isEqualTo(code);
        }

        @ParameterizedTest(name = "\"{0}\"")
        @NullAndEmptySource
        @ValueSource(strings = {"EU", "EURO", "eur", "Eur", "E1R", "XXY", "XYZ", " EUR", "EUR ", "E-R"})
        void anything_else_is_not_a_currency(String code) {
            assertThat(CurrencyCode.isValid(code)).isFalse();
            assertThatThrownBy(() -> CurrencyCode.require(code))
                    .isExactlyInstanceOf(InvalidCurrencyException.class)
                    .hasMessage("currency must be an ISO 4217 alphabetic code such as EUR");
        }
    }
}

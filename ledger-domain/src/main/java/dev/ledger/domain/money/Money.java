package dev.ledger.domain.money;

/**
 * Rules for amounts of money in minor units. Balances are plain {@code long}s: every sum goes
 * through {@link Math#addExact} so that an overflow is a rejected command, never a wrapped number.
 */
public final class Money {

    /** The largest amount a single deposit, withdrawal or transfer may move (10^15 minor units). */
    public static final long AMOUNT_MAX = 1_000_000_000_000_000L;

    /** The smallest amount a single deposit, withdrawal or transfer may move. */
    public static final long AMOUNT_MIN = 1L;

    /** The largest overdraft an account may be opened with; the same bound as one amount. */
    public static final long OVERDRAFT_LIMIT_MAX = AMOUNT_MAX;

    private Money() {
    }

    public static void requireValidAmount(long amount) {
        if (amount < AMOUNT_MIN || amount > AMOUNT_MAX) {
            throw new InvalidAmountException(
                    "amount must be between " + AMOUNT_MIN + " and " + AMOUNT_MAX + " minor units");
        }
    }

    public static void requireValidOverdraftLimit(long overdraftLimit) {
        if (overdraftLimit < 0 || overdraftLimit > OVERDRAFT_LIMIT_MAX) {
            throw new InvalidAmountException(
                    "overdraftLimit must be between 0 and " + OVERDRAFT_LIMIT_MAX + " minor units");
        }
    }

    /** Adds two balances exactly, or rejects the command that would overflow. */
    public static long add(long balance, long amount) {
        try {
            return Math.addExact(balance, amount);
        } catch (ArithmeticException overflow) {
            throw new BalanceOverflowException();
        }
    }

    /** Subtracts exactly, or rejects the command that would overflow. */
    public static long subtract(long balance, long amount) {
        try {
            return Math.subtractExact(balance, amount);
        } catch (ArithmeticException overflow) {
            throw new BalanceOverflowException();
        }
    }
}

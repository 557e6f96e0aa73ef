package dev.ledger.domain.account;

import java.util.regex.Pattern;

/** The shape of an account id: 1 to 64 characters from {@code [A-Za-z0-9_-]}. */
public final class AccountIds {

    public static final int LENGTH_MAX = 64;

    private static final Pattern SHAPE = Pattern.compile("[A-Za-z0-9_-]{1," + LENGTH_MAX + "}");

    private AccountIds() {
    }

    public static boolean isValid(String accountId) {
        return accountId != null && SHAPE.matcher(accountId).matches();
    }
}

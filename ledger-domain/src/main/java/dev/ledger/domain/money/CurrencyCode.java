package dev.ledger.domain.money;

import java.util.Currency;
import java.util.regex.Pattern;

/** ISO 4217 alphabetic currency codes, checked against the JDK's currency table. */
public final class CurrencyCode {

    private static final Pattern ALPHA_3 = Pattern.compile("[A-Z]{3}");

    private CurrencyCode() {
    }

    public static boolean isValid(String code) {
        if (code == null || !ALPHA_3.matcher(code).matches()) {
            return false;
        }
        try {
            Currency.getInstance(code);
            return true;
        } catch (IllegalArgumentException unknown) {
            return false;
        }
    }

    public static String require(String code) {
        if (!isValid(code)) {
            throw new InvalidCurrencyException("currency must be an ISO 4217 alphabetic code such as EUR");
        }
        return code;
    }
}

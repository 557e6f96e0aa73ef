package dev.ledger.infra;

import java.time.Instant;
import java.time.LocalDate;
import java.time.Month;
import java.time.Year;

/**
 * {@link Instant} from its ISO-8601 text ({@code 2026-11-24T23:10:02.055541Z}), the form
 * {@link Instant#toString()} writes and Jackson stores in events, without
 * {@link java.time.format.DateTimeFormatter}. The formatter's generic machinery (a map of parsed
 * fields per call) took two fifths of the rebuild's reader thread. It reads exactly what
 * {@code Instant} reads, for years 0000-9999; other texts are left to the caller to parse.
 */
public final class IsoInstants {

    private static final int SECONDS_PER_DAY = 86_400;
    /** "yyyy-MM-ddTHH:mm:ssZ": the shortest text the fast path reads. */
    private static final int LENGTH_MIN = 20;
    private static final int FRACTION_DIGITS_MAX = 9;

    private IsoInstants() {
    }

    /**
     * What {@link Instant#parse} reads from a text in the form {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}]Z}
     * with every field in range; null for any other text (offsets, leap seconds, out-of-range
     * fields, other years, lower case), which the caller hands to {@code Instant}'s own parsing.
     */
    public static Instant parseSimple(CharSequence text) {
        int length = text.length();
        if (length < LENGTH_MIN || length > LENGTH_MIN + 1 + FRACTION_DIGITS_MAX || text.charAt(length - 1) != 'Z'
                || text.charAt(4) != '-' || text.charAt(7) != '-' || text.charAt(10) != 'T'
                || text.charAt(13) != ':' || text.charAt(16) != ':') {
            return null;
        }
        int year = number(text, 0, 4);
        int month = number(text, 5, 7);
        int day = number(text, 8, 10);
        int hour = number(text, 11, 13);
        int minute = number(text, 14, 16);
        int second = number(text, 17, 19);
        if (year < 0 || month < 1 || month > 12 || day < 1 || day > 28 && day > Month.of(month).length(Year.isLeap(year))
                || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
            return null;
        }
        int nano = 0;
        if (length > LENGTH_MIN) {
            int fractionDigits = length - LENGTH_MIN - 1;
            if (text.charAt(19) != '.' || fractionDigits < 1) {
                return null;
            }
            int fraction = number(text, 20, 20 + fractionDigits);
            if (fraction < 0) {
                return null;
            }
            for (int i = fractionDigits; i < FRACTION_DIGITS_MAX; i++) {
                fraction *= 10;
            }
            nano = fraction;
        } else if (text.charAt(19) != 'Z') {
            return null;
        }
        long epochDay = LocalDate.of(year, month, day).toEpochDay();
        return Instant.ofEpochSecond(epochDay * SECONDS_PER_DAY + hour * 3600L + minute * 60L + second, nano);
    }

    /** The decimal number in {@code [from, to)}, or -1 if a character there is not an ASCII digit. */
    private static int number(CharSequence text, int from, int to) {
        int value = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }
}

package dev.ledger.infra;

import java.time.Instant;
import java.time.LocalDate;
import java.time.Month;
import java.time.Year;

/**
 * {@link Instant} to and from its ISO-8601 text ({@code 2026-11-24T23:10:02.055541Z}), the form
 * {@link Instant#toString()} writes and Jackson stores in events, without
 * {@link java.time.format.DateTimeFormatter}. The formatter's generic machinery (a map of parsed
 * fields per call, a printer per field) took a third of the rebuild's writer thread and two fifths
 * of its reader thread. Both directions give exactly what {@code Instant} gives, for years
 * 0000-9999 (the fraction in groups of three digits, as many as needed). Other instants are
 * formatted by {@code Instant} itself; other texts are left to the caller to parse.
 */
public final class IsoInstants {

    private static final int SECONDS_PER_DAY = 86_400;
    private static final int YEAR_MAX = 9999;
    private static final long EPOCH_DAY_MIN = LocalDate.of(0, 1, 1).toEpochDay();
    private static final long EPOCH_DAY_MAX = LocalDate.of(YEAR_MAX, 12, 31).toEpochDay();
    /** "yyyy-MM-ddTHH:mm:ssZ": the shortest text the fast path reads. */
    private static final int LENGTH_MIN = 20;
    private static final int FRACTION_DIGITS_MAX = 9;

    private IsoInstants() {
    }

    /** {@code instant.toString()}, appended. */
    public static StringBuilder append(StringBuilder text, Instant instant) {
        long epochDay = Math.floorDiv(instant.getEpochSecond(), SECONDS_PER_DAY);
        if (epochDay < EPOCH_DAY_MIN || epochDay > EPOCH_DAY_MAX) {
            return text.append(instant);
        }
        LocalDate date = LocalDate.ofEpochDay(epochDay);
        int secondOfDay = (int) Math.floorMod(instant.getEpochSecond(), SECONDS_PER_DAY);
        digits(text, date.getYear(), 4).append('-');
        digits(text, date.getMonthValue(), 2).append('-');
        digits(text, date.getDayOfMonth(), 2).append('T');
        digits(text, secondOfDay / 3600, 2).append(':');
        digits(text, secondOfDay / 60 % 60, 2).append(':');
        digits(text, secondOfDay % 60, 2);
        int nano = instant.getNano();
        if (nano != 0) {
            text.append('.');
            if (nano % 1_000_000 == 0) {
                digits(text, nano / 1_000_000, 3);
            } else if (nano % 1000 == 0) {
                digits(text, nano / 1000, 6);
            } else {
                digits(text, nano, 9);
            }
        }
        return text.append('Z');
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

    /** Appends the value's last {@code width} decimal digits, zero-padded. */
    private static StringBuilder digits(StringBuilder text, int value, int width) {
        int end = text.length() + width;
        text.setLength(end);
        for (int i = end - 1, rest = value; i >= end - width; i--, rest /= 10) {
            text.setCharAt(i, (char) ('0' + rest % 10));
        }
        return text;
    }
}

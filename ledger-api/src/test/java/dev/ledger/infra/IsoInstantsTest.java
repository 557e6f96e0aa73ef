package dev.ledger.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class IsoInstantsTest {

    private static final long SECOND_MIN = LocalDate.of(0, 1, 1).toEpochDay() * 86_400;
    private static final long SECOND_MAX = LocalDate.of(10_000, 1, 1).toEpochDay() * 86_400 - 1;
    private static final int SAMPLES = 200_000;

    @Test
    void reads_what_instant_writes_as_the_instant_it_was() {
        for (Instant instant : samples()) {
            String text = instant.toString();
            assertThat(IsoInstants.parseSimple(text)).as(text).isEqualTo(instant);
        }
    }

    @Test
    void years_outside_0000_to_9999_are_left_to_instant() {
        for (Instant instant : List.of(Instant.ofEpochSecond(SECOND_MIN - 1), Instant.ofEpochSecond(SECOND_MAX + 1, 5),
                Instant.MIN, Instant.MAX)) {
            String text = instant.toString();
            assertThat(IsoInstants.parseSimple(text)).as(text).isNull();
        }
    }

    @Test
    void every_fraction_length_reads_as_instant_reads_it() {
        String digits = "123456789";
        for (int length = 1; length <= 9; length++) {
            String text = "2026-11-24T23:10:02." + digits.substring(0, length) + "Z";
            assertThat(IsoInstants.parseSimple(text)).as(text).isNotNull().isEqualTo(Instant.parse(text));
        }
    }

    @Test
    void other_forms_are_left_to_instant_or_read_as_instant_reads_them() {
        List<String> texts = List.of("2026-11-24t23:10:02z", "2026-11-24T23:10:02+01:00", "2016-12-31T23:59:60Z",
                "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z",
                "2026-11-24T24:00:00Z", "2026-11-24T23:60:00Z", "2026-11-24T23:10:02.Z", "2026-11-24T23:10:02.1234567890Z",
                "2026-11-24 23:10:02Z", "2026-11-24T23:10:02", "2026-1a-24T23:10:02Z", "+12026-11-24T23:10:02Z",
                " 2026-11-24T23:10:02Z", "2026-11-24T23:10:02.-5Z", "");
        for (String text : texts) {
            Instant expected;
            try {
                expected = Instant.parse(text);
            } catch (DateTimeParseException refused) {
                assertThat(IsoInstants.parseSimple(text)).as(text).isNull();
                continue;
            }
            Instant simple = IsoInstants.parseSimple(text);
            assertThat(simple == null || simple.equals(expected)).as(text + " read as " + simple).isTrue();
        }
    }

    /** Random instants of years 0000-9999 with whole seconds, milli-, micro- and nanoseconds, and the edges. */
    private static List<Instant> samples() {
        SplittableRandom random = new SplittableRandom(20261124);
        List<Instant> samples = new ArrayList<>(List.of(Instant.EPOCH, Instant.ofEpochSecond(-1, 999_999_999),
                Instant.ofEpochSecond(SECOND_MIN), Instant.ofEpochSecond(SECOND_MAX, 999_999_999),
                Instant.parse("2026-11-24T23:10:02.055541Z"), Instant.parse("2024-02-29T23:59:59.001Z")));
        for (int i = 0; i < SAMPLES; i++) {
            long second = random.nextLong(SECOND_MIN, SECOND_MAX + 1);
            int nano = switch (i % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1, 1000) * 1_000_000;
                case 2 -> random.nextInt(1, 1_000_000) * 1000;
                default -> random.nextInt(1, 1_000_000_000);
            };
            samples.add(Instant.ofEpochSecond(second, nano));
        }
        return samples;
    }
}

package dev.ledger.api.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.support.LedgerClient;
import dev.ledger.support.LedgerClient.Reply;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;

/** One scrape of {@code /actuator/prometheus}: every sample by its name with labels, as printed. */
record Scrape(String text, Map<String, Double> samples) {

    static Scrape of(LedgerClient ledger) {
        Reply reply = ledger.get("/actuator/prometheus");
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        Map<String, Double> samples = new LinkedHashMap<>();
        for (String line : reply.body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int split = line.lastIndexOf(' ');
            samples.put(line.substring(0, split).trim(), Double.parseDouble(line.substring(split + 1).trim()));
        }
        return new Scrape(reply.body(), samples);
    }

    /** The value of a sample without labels, or empty when the scrape has none. */
    OptionalDouble find(String sample) {
        Double value = samples.get(sample);
        return value == null ? OptionalDouble.empty() : OptionalDouble.of(value);
    }

    double value(String sample) {
        OptionalDouble found = find(sample);
        assertThat(found).as("sample %s in the scrape:%n%s", sample, text).isPresent();
        return found.getAsDouble();
    }
}

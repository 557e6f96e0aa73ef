package dev.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SeedAnswerTest {

    @Test
    void readsTheContractLine() {
        Map<String, Object> r = Bench.seedAnswer("some noise\n{\"accounts\":1000,\"events\":1001000,\"seconds\":50.0,"
                + "\"eventsPerSecond\":20020.0}\n", 1000, 1000);
        assertThat(r).containsEntry("events", 1001000L).containsEntry("eventsPerSecond", 20020.0)
                .containsEntry("expectedEvents", 1001000L).doesNotContainKey("mismatch");
    }

    @Test
    void keepsAMismatchVisible() {
        Map<String, Object> r = Bench.seedAnswer("{\"accounts\":10,\"events\":50,\"seconds\":1,\"eventsPerSecond\":50}",
                10, 1000);
        assertThat(r.get("mismatch").toString()).contains("asked for 10 accounts x 1000 deposits");
    }

    @Test
    void refusesMissingOrIncompleteAnswers() {
        assertThatThrownBy(() -> Bench.seedAnswer("Started LedgerApplication\n", 1, 1))
                .hasMessageContaining("no JSON line");
        assertThatThrownBy(() -> Bench.seedAnswer("{\"accounts\":1,\"events\":2}", 1, 1))
                .hasMessageContaining("\"seconds\"");
    }
}

package dev.ledger.api.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.infra.account.LedgerEntryColumns;
import dev.ledger.infra.outbox.OutboxRelay;
import dev.ledger.infra.outbox.OutboxStore.PendingEntry;
import dev.ledger.infra.projection.LedgerProjector;
import dev.ledger.infra.projection.LedgerProjector.Delivery;
import dev.ledger.support.Poll;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.Projections;
import dev.ledger.support.RelayPause;
import dev.ledger.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Proves that /actuator/prometheus exposes the relay's and the read models' gauges and counters,
 * that they move by exactly the number of held gaps and dropped redeliveries, and that the backlog
 * drains to zero once the relay has settled.
 */
class MetricsTest extends IntegrationTest {

    private static final String BACKLOG = "ledger_relay_backlog";
    private static final String RELAY_LAG = "ledger_relay_lag_seconds";
    private static final String DEAD_LETTERS = "ledger_relay_dead_letters";
    private static final String DUPLICATES = "ledger_projection_duplicates_dropped_total";
    private static final String GAPS = "ledger_projection_gaps_held_total";
    private static final String HELD = "ledger_projection_held";
    private static final String OUT_OF_ORDER = "ledger_projection_out_of_order_total";
    private static final String PROJECTION_LAG = "ledger_projection_lag_seconds";
    private static final String LAG_COUNT = PROJECTION_LAG + "_count";
    private static final String CAREFUL = "ledger_projection_deliveries_careful_total";

    @Autowired
    private OutboxRelay relay;

    @Test
    void the_scrape_exposes_every_relay_and_projection_metric_and_the_backlog_drains_to_zero() {
        String account = unique("metrics");
        Api.created(ledger.openAccount(account, "EUR", 0));
        for (int i = 1; i <= 5; i++) {
            Api.created(ledger.deposit(account, 100L * i, "EUR"));
        }
        Projections.awaitSettled();

        Scrape scrape = Poll.until("an empty relay backlog on the scrape", () -> Scrape.of(ledger),
                s -> s.find(BACKLOG).orElse(-1) == 0);

        assertThat(scrape.text()).contains(
                "# TYPE " + BACKLOG + " gauge",
                "# TYPE " + RELAY_LAG + " gauge",
                "# TYPE " + DEAD_LETTERS + " gauge",
                "# TYPE " + HELD + " gauge",
                "# TYPE " + PROJECTION_LAG + " histogram");
        assertThat(scrape.value(BACKLOG)).isZero();
        assertThat(scrape.value(RELAY_LAG)).as("age of the oldest undelivered row").isZero();
        assertThat(scrape.value(DEAD_LETTERS)).isGreaterThanOrEqualTo(0);
        assertThat(scrape.value(HELD)).isGreaterThanOrEqualTo(0);
        assertThat(scrape.value(DUPLICATES)).isGreaterThanOrEqualTo(0);
        assertThat(scrape.value(GAPS)).isGreaterThanOrEqualTo(0);
        assertThat(scrape.value(OUT_OF_ORDER)).isGreaterThanOrEqualTo(0);
        assertThat(scrape.value(PROJECTION_LAG + "_count")).as("events applied so far").isGreaterThanOrEqualTo(6);
        assertThat(scrape.value(PROJECTION_LAG + "_bucket{le=\"+Inf\"}")).as("every event in some bucket")
                .isEqualTo(scrape.value(PROJECTION_LAG + "_count"));
        assertThat(scrape.value(PROJECTION_LAG + "_bucket{le=\"0.05\"}")).as("the 50 ms bucket")
                .isBetween(0.0, scrape.value(PROJECTION_LAG + "_count"));
        assertThat(scrape.value(PROJECTION_LAG + "_sum")).isGreaterThan(0);
    }

    @Test
    void the_scrape_counts_the_starts_checked_at_commit_and_those_that_failed() {
        String account = unique("metrics-checked");
        Api.created(ledger.openAccount(account, "EUR", 0));
        double checkedBefore = Scrape.of(ledger).value("ledger_commands_start_checked_total");

        Api.created(ledger.deposit(account, 100, "EUR"));

        Scrape scrape = Scrape.of(ledger);
        assertThat(scrape.text()).contains("# TYPE ledger_commands_start_checked_total counter",
                "# TYPE ledger_commands_start_checks_failed_total counter");
        assertThat(scrape.value("ledger_commands_start_checked_total")).as("the deposit on the cached account")
                .isGreaterThanOrEqualTo(checkedBefore + 1);
    }

    @Test
    void the_scrape_has_the_writers_answer_and_commit_histograms_and_every_deposit_moves_them() {
        String answers = "ledger_commands_answer_seconds";
        String commits = "ledger_commands_commit_seconds";
        String account = unique("metrics-writer");
        Api.created(ledger.openAccount(account, "EUR", 0));
        Scrape before = Scrape.of(ledger);

        // One after another: each deposit is answered alone and commits a transaction of its own.
        for (int i = 0; i < 3; i++) {
            Api.created(ledger.deposit(account, 100, "EUR"));
        }

        Scrape after = Scrape.of(ledger);
        assertThat(after.text()).contains("# TYPE " + answers + " histogram", "# TYPE " + commits + " histogram");
        for (String histogram : List.of(answers, commits)) {
            assertThat(after.value(histogram + "_count")).as(histogram + ": the three deposits")
                    .isGreaterThanOrEqualTo(before.value(histogram + "_count") + 3);
            assertThat(after.value(histogram + "_bucket{le=\"+Inf\"}")).as(histogram + ": every observation in a bucket")
                    .isEqualTo(after.value(histogram + "_count"));
            assertThat(after.value(histogram + "_bucket{le=\"0.01\"}")).as(histogram + ": the 10 ms bucket")
                    .isBetween(0.0, after.value(histogram + "_count"));
            assertThat(after.value(histogram + "_sum")).as(histogram + ": time recorded")
                    .isGreaterThan(before.value(histogram + "_sum"));
        }
    }

    @Test
    void a_held_gap_and_redelivered_duplicates_move_the_counters_and_gauges_by_exactly_their_number() throws Exception {
        String account = unique("metrics-gap");
        Api.created(ledger.openAccount(account, "EUR", 0));
        assertThat(ledger.account(account).json().get("version").asLong()).isEqualTo(1);
        LedgerProjector consumer = relay.consumer();

        try (RelayPause pause = RelayPause.hold()) {
            // No relay round can run while the test holds the lock: the outbox fills up.
            Api.created(ledger.deposit(account, 300, "EUR"));
            Api.created(ledger.deposit(account, 200, "EUR"));
            // Version 1 was delivered (and removed from the outbox) before the pause.
            List<PendingEntry> pending = outboxRows(account);
            assertThat(pending).extracting(row -> row.entry().version()).containsExactly(2L, 3L);

            Scrape stalled = Scrape.of(ledger);
            assertThat(stalled.value(BACKLOG)).as("outbox rows waiting behind the held lock")
                    .isGreaterThanOrEqualTo(2);
            assertThat(stalled.value(RELAY_LAG)).as("age of the oldest undelivered row").isGreaterThan(0);
            double duplicates = stalled.value(DUPLICATES);
            double gaps = stalled.value(GAPS);
            double outOfOrder = stalled.value(OUT_OF_ORDER);
            double held = stalled.value(HELD);
            double lagged = stalled.value(LAG_COUNT);
            double careful = stalled.value(CAREFUL);

            // Version 3 reaches the consumer ahead of version 2: held, not applied.
            Delivery early = consumer.deliver(List.of(pending.get(1)));
            assertThat(early.failed()).isEmpty();
            assertThat(early.deliveredIds()).containsExactly(pending.get(1).id());
            Scrape afterGap = Scrape.of(ledger);
            assertThat(afterGap.value(GAPS)).isEqualTo(gaps + 1);
            assertThat(afterGap.value(OUT_OF_ORDER)).isEqualTo(outOfOrder + 1);
            assertThat(afterGap.value(HELD)).isEqualTo(held + 1);
            assertThat(afterGap.value(DUPLICATES)).isEqualTo(duplicates);
            assertThat(afterGap.value(LAG_COUNT)).as("lag recorded for a held event").isEqualTo(lagged);
            assertThat(afterGap.value(CAREFUL)).as("a gap goes the careful way").isEqualTo(careful + 1);
            Reply stillOne = ledger.get("/api/v1/accounts/" + account);
            assertThat(stillOne.json().get("version").asLong()).as(stillOne.body()).isEqualTo(1);

            // Version 2 arrives: applied, and the held version 3 right after it.
            Delivery late = consumer.deliver(List.of(pending.get(0)));
            assertThat(late.failed()).isEmpty();
            Scrape afterDrain = Scrape.of(ledger);
            assertThat(afterDrain.value(HELD)).isEqualTo(held);
            assertThat(afterDrain.value(GAPS)).isEqualTo(gaps + 1);
            assertThat(afterDrain.value(LAG_COUNT)).as("lag recorded once per applied event, drained ones included")
                    .isEqualTo(lagged + 2);
            Reply three = ledger.get("/api/v1/accounts/" + account);
            assertThat(three.json().get("version").asLong()).as(three.body()).isEqualTo(3);
            assertThat(three.json().get("balance").asLong()).isEqualTo(500);
            assertThat(Rows.query("select version from event_feed where account_id = ? order by position",
                    account)).extracting(row -> ((Number) row.get(0)).longValue()).containsExactly(1L, 2L, 3L);

            pause.close();
            // The relay now delivers versions 2 and 3 again, which the consumer already has.
            Scrape settled = Poll.until("two redeliveries dropped as duplicates", () -> Scrape.of(ledger),
                    s -> s.value(DUPLICATES) >= duplicates + 2 && s.value(BACKLOG) == 0);
            assertThat(settled.value(DUPLICATES)).isEqualTo(duplicates + 2);
            assertThat(settled.value(OUT_OF_ORDER)).isEqualTo(outOfOrder + 3);
            assertThat(settled.value(GAPS)).isEqualTo(gaps + 1);
            assertThat(settled.value(HELD)).isEqualTo(held);
            assertThat(settled.value(RELAY_LAG)).isZero();
            assertThat(settled.value(LAG_COUNT)).as("no lag recorded for dropped duplicates").isEqualTo(lagged + 2);
        }
        Reply read = ledger.account(account);
        assertThat(read.json().get("version").asLong()).isEqualTo(3);
        assertThat(read.json().get("balance").asLong()).isEqualTo(500);
        assertThat(Rows.count("select count(*) from event_feed where account_id = ?", account)).isEqualTo(3);
    }

    /** The account's outbox rows as the relay would hand them to the consumer. */
    private static List<PendingEntry> outboxRows(String account) throws SQLException {
        List<PendingEntry> rows = new ArrayList<>();
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = connection.prepareStatement("select id, " + LedgerEntryColumns.NAMES
                     + " from outbox_event where account_id = ? order by version")) {
            query.setString(1, account);
            try (ResultSet rs = query.executeQuery()) {
                while (rs.next()) {
                    rows.add(new PendingEntry(rs.getLong(1), LedgerEntryColumns.read(rs, 2)));
                }
            }
        }
        return rows;
    }
}

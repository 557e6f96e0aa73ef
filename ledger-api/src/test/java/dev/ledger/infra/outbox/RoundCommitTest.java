package dev.ledger.infra.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.support.IntegrationTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Proves that a common relay round applies its rows to the read models and removes them from the
 * outbox in one transaction: statement-level triggers log, for every feed row inserted and every
 * outbox row deleted, the id of the transaction that did it, and each event's two entries carry
 * the same one. (Before round 9 the consumer committed in a transaction of its own, and the round
 * deleted the rows in another.)
 */
class RoundCommitTest extends IntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Autowired
    private DataSource dataSource;

    @Test
    void a_round_applies_its_rows_and_removes_them_from_the_outbox_in_one_commit() {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        String log = "round_log_" + UUID.randomUUID().toString().replace("-", "");
        jdbc.execute("create table " + log + " (what text, account_id text, version bigint, tx bigint)");
        jdbc.execute("create function " + log + "() returns trigger language plpgsql as $$ begin"
                + " insert into " + log + " select case when tg_table_name = 'event_feed' then 'applied'"
                + " else 'removed' end, account_id, version, txid_current() from changed; return null; end $$");
        jdbc.execute("create trigger " + log + "_feed after insert on event_feed referencing new table as changed"
                + " for each statement execute function " + log + "()");
        jdbc.execute("create trigger " + log + "_outbox after delete on outbox_event referencing old table as changed"
                + " for each statement execute function " + log + "()");
        String account = unique("round");
        try {
            assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);
            assertThat(ledger.deposit(account, 100, "EUR").status()).isEqualTo(201);
            assertThat(ledger.deposit(account, 5, "EUR").status()).isEqualTo(201);
            Tables.await(WAIT, "three events applied and removed", () -> jdbc.queryForObject(
                    "select count(*) from " + log + " where account_id = ?", Long.class, account) == 6);
        } finally {
            jdbc.execute("drop trigger " + log + "_feed on event_feed");
            jdbc.execute("drop trigger " + log + "_outbox on outbox_event");
            jdbc.execute("drop function " + log + "()");
        }
        List<Map<String, Object>> rows = jdbc.queryForList("select version, count(distinct tx) as transactions,"
                + " count(*) filter (where what = 'applied') as applied, count(*) filter (where what = 'removed')"
                + " as removed from " + log + " where account_id = ? group by version order by version", account);
        jdbc.execute("drop table " + log);
        assertThat(rows).extracting(row -> ((Number) row.get("version")).longValue()).containsExactly(1L, 2L, 3L);
        assertThat(rows).allSatisfy(row -> {
            assertThat(((Number) row.get("applied")).longValue()).as("applied once: %s", row).isEqualTo(1);
            assertThat(((Number) row.get("removed")).longValue()).as("removed once: %s", row).isEqualTo(1);
            assertThat(((Number) row.get("transactions")).longValue())
                    .as("transactions that applied and removed version %s", row.get("version")).isEqualTo(1);
        });
    }
}

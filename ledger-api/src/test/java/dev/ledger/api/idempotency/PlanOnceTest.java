package dev.ledger.api.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.infra.command.AccountLocks;
import dev.ledger.infra.eventstore.AggregateCache;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.TestDatabase;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Proves that a write transaction's rows are written with its statements' plans made once per
 * connection ({@code plan_cache_mode = force_generic_plan}, set local to the pipeline that writes
 * them), whether its start was checked at commit or read first, and that the setting does not
 * outlive the transaction: the server process that ran it plans as configured afterwards.
 */
class PlanOnceTest extends IntegrationTest {

    /** Fewer than the pool's 20, so that the service's own threads still get connections meanwhile. */
    private static final int BORROWED_MAX = 12;

    private final String prefix = "plan-once-" + UUID.randomUUID() + "-";
    private final String probe = "plan_once_" + UUID.randomUUID().toString().replace("-", "");

    @Autowired
    private AggregateCache cache;

    @Autowired
    private AccountLocks locks;

    @Autowired
    private MeterRegistry meters;

    @Autowired
    private DataSource dataSource;

    @BeforeEach
    void recordThePlanSettingOfEveryStoredAnswer() {
        // For each answer stored under this test's keys: the setting its insert ran with, and the
        // server process that ran it.
        LedgerRows.execute("create table " + probe + " (idempotency_key text not null, setting text not null,"
                        + " backend integer not null)",
                "create function " + probe + "_record() returns trigger language plpgsql as $$ begin"
                        + " insert into " + probe + " values (new.idempotency_key,"
                        + " current_setting('plan_cache_mode'), pg_backend_pid()); return null; end $$",
                "create trigger " + probe + "_on_answer after insert on idempotency_inbox for each row"
                        + " when (new.idempotency_key like '" + prefix + "%')"
                        + " execute function " + probe + "_record()");
    }

    @AfterEach
    void dropTheProbe() {
        for (String cleanup : List.of("drop trigger if exists " + probe + "_on_answer on idempotency_inbox",
                "drop function if exists " + probe + "_record()", "drop table if exists " + probe)) {
            LedgerRows.execute(cleanup);
        }
    }

    @Test
    void a_write_on_a_cached_account_writes_its_rows_with_plans_made_once() throws Exception {
        String account = unique("plan-once");
        assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);
        double checkedBefore = checked();

        Reply deposit = deposit(account, prefix + "cached");

        assertThat(deposit.status()).as(deposit.body()).isEqualTo(201);
        assertThat(checked()).as("a start checked at commit").isEqualTo(checkedBefore + 1);
        assertThat(settingOf(prefix + "cached")).isEqualTo("force_generic_plan");
    }

    @Test
    void a_write_whose_start_is_read_first_writes_its_rows_with_plans_made_once() throws Exception {
        String account = unique("plan-once");
        assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);
        locks.withLocks(List.of(account), () -> cache.remove(account));
        double checkedBefore = checked();

        Reply deposit = deposit(account, prefix + "read-first");

        assertThat(deposit.status()).as(deposit.body()).isEqualTo(201);
        assertThat(deposit.json().get("version").asLong()).isEqualTo(2);
        assertThat(checked()).as("no start checked at commit: the account was not cached").isEqualTo(checkedBefore);
        assertThat(settingOf(prefix + "read-first")).isEqualTo("force_generic_plan");
    }

    @Test
    void the_setting_ends_with_the_transaction() throws Exception {
        String account = unique("plan-once");
        assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);
        String defaultSetting;
        try (Connection own = TestDatabase.get().connect()) {
            defaultSetting = settingAndBackend(own).setting();
        }
        assertThat(defaultSetting).as("the database's own setting").isNotEqualTo("force_generic_plan");
        Map<Integer, String> seen = new HashMap<>();
        int backend = -1;
        // The pool's idle connections, borrowed until the one the write used is among them (it is
        // back in the pool once the answer is out, unless another thread holds it meanwhile).
        for (int attempt = 0; attempt < 5 && !seen.containsKey(backend); attempt++) {
            String key = prefix + "ends-" + attempt;
            assertThat(deposit(account, key).status()).isEqualTo(201);
            backend = (int) LedgerRows.count("select backend from " + probe + " where idempotency_key = ?", key);
            seen.clear();
            List<Connection> held = new ArrayList<>();
            try {
                for (int i = 0; i < BORROWED_MAX && !seen.containsKey(backend); i++) {
                    Connection connection = dataSource.getConnection();
                    held.add(connection);
                    Setting setting = settingAndBackend(connection);
                    seen.put(setting.backend(), setting.setting());
                }
            } finally {
                for (Connection connection : held) {
                    connection.close();
                }
            }
        }
        assertThat(seen).as("the setting of the pool's connections, by server process; the write ran on %d", backend)
                .containsKey(backend);
        assertThat(seen.get(backend)).as("the setting of the connection the write used, after it")
                .isEqualTo(defaultSetting);
    }

    private static Setting settingAndBackend(Connection connection) throws Exception {
        try (Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("select pg_backend_pid(), current_setting('plan_cache_mode')")) {
            assertThat(row.next()).isTrue();
            return new Setting(row.getInt(1), row.getString(2));
        }
    }

    private record Setting(int backend, String setting) {
    }

    private Reply deposit(String account, String key) {
        return ledger.post("/api/v1/accounts/" + account + "/deposits", key, null,
                "{\"amount\":5,\"currency\":\"EUR\"}");
    }

    /** The setting the answer stored under the key was inserted with (exactly one answer is). */
    private String settingOf(String key) throws Exception {
        List<String> settings = new ArrayList<>();
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = connection.prepareStatement(
                     "select setting from " + probe + " where idempotency_key = ?")) {
            query.setString(1, key);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    settings.add(rows.getString(1));
                }
            }
        }
        assertThat(settings).as("answers stored under " + key).hasSize(1);
        return settings.get(0);
    }

    private double checked() {
        return meters.get("ledger.commands.start.checked").counter().count();
    }
}

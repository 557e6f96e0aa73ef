package dev.ledger.infra.command;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.infra.account.LedgerEntryColumns;
import dev.ledger.infra.eventstore.CommitTimeEventStorageEngine;
import dev.ledger.infra.inbox.InboxStore;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The statements of the write path's last round trip (a start checked at commit: the accounts'
 * locks, the keys' locks, the accounts' last versions; then the events, the outbox rows and the
 * answers) take their rows from arrays unnested in their select lists, so that none of their plans
 * has a function scan, whose tuplestore made the writer's server process grow and shrink its heap
 * at every statement (see {@link dev.ledger.infra.Pipeline}).
 */
class WritePathPlanTest extends IntegrationTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void no_statement_of_the_write_path_scans_a_function() throws Exception {
        Map<String, String> statements = Map.of(
                "account locks", DatabaseAccountLocks.LOCK_IN_KEY_ORDER,
                "key locks", InboxStore.EXPECT_LOCKED_SQL,
                "last versions", DatabaseAccountLocks.EXPECT_LAST_SEQUENCES,
                "events", CommitTimeEventStorageEngine.INSERT_SQL,
                "outbox rows", LedgerEntryColumns.insertSql("outbox_event"),
                "answers", InboxStore.INSERT_SQL);
        try (Connection connection = TestDatabase.get().connect()) {
            for (Map.Entry<String, String> statement : statements.entrySet()) {
                List<String> nodes = nodeTypes(explain(connection, statement.getValue()));
                assertThat(nodes).as("the plan of the %s", statement.getKey()).isNotEmpty()
                        .doesNotContain("Function Scan");
            }
        }
    }

    @Test
    void the_test_would_see_a_function_scan() throws Exception {
        try (Connection connection = TestDatabase.get().connect()) {
            assertThat(nodeTypes(explain(connection, "select * from unnest(?::text[]) as k")))
                    .contains("Function Scan");
        }
    }

    /** The statement's plan for arrays of two rows each: bound, not run. */
    private static JsonNode explain(Connection connection, String sql) throws Exception {
        try (PreparedStatement explain = connection.prepareStatement("explain (format json) " + sql)) {
            var parameters = explain.getParameterMetaData();
            for (int i = 1; i <= parameters.getParameterCount(); i++) {
                String type = parameters.getParameterTypeName(i);
                explain.setArray(i, connection.createArrayOf(type.replaceFirst("^_", ""), sample(type)));
            }
            try (ResultSet plan = explain.executeQuery()) {
                assertThat(plan.next()).isTrue();
                return JSON.readTree(plan.getString(1)).get(0).get("Plan");
            }
        }
    }

    private static Object[] sample(String arrayType) {
        return switch (arrayType) {
            case "_int8", "_int4" -> new Object[] {1L, 2L};
            case "_bytea" -> new byte[][] {{1}, {2}};
            case "_timestamptz" -> new Object[] {java.sql.Timestamp.valueOf("2026-01-01 00:00:00"),
                    java.sql.Timestamp.valueOf("2026-01-01 00:00:01")};
            default -> new Object[] {"a", "b"};
        };
    }

    private static List<String> nodeTypes(JsonNode plan) {
        List<String> types = new ArrayList<>();
        collect(plan, types);
        return types;
    }

    private static void collect(JsonNode node, List<String> types) {
        types.add(node.get("Node Type").asText());
        for (JsonNode child : node.path("Plans")) {
            collect(child, types);
        }
    }
}

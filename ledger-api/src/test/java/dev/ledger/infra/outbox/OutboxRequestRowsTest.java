package dev.ledger.infra.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledger.infra.account.LedgerEntry;
import dev.ledger.support.IntegrationTest;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The relay keeps a request's rows together only where they carry a transfer id (V15), so the
 * outbox refuses a request that writes two rows without one, instead of having them delivered as
 * two requests.
 */
class OutboxRequestRowsTest extends IntegrationTest {

    @Autowired
    private OutboxStore outbox;

    @Autowired
    private PlatformTransactionManager transactionManager;

    @Autowired
    private JdbcTemplate jdbc;

    @Test
    void rows_of_distinct_requests_and_a_transfer_s_two_legs_are_written() {
        List<LedgerEntry> rows = List.of(row("a", 2, null, "request-1"), row("b", 2, null, "request-2"),
                row("c", 3, "transfer-1", "request-3"), row("d", 5, "transfer-1", "request-3"),
                row("e", 1, null, null), row("f", 1, null, null));

        assertThatCode(() -> OutboxStore.requireOneRowPerRequestOutsideTransfers(rows)).doesNotThrowAnyException();
    }

    @Test
    void two_rows_of_one_request_without_a_transfer_id_are_refused() {
        List<LedgerEntry> rows = List.of(row("a", 2, null, "request-1"), row("b", 7, "transfer-1", "request-2"),
                row("c", 4, null, "request-1"));

        assertThatThrownBy(() -> OutboxStore.requireOneRowPerRequestOutsideTransfers(rows))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("request-1");
    }

    /** The check runs where the rows are written: the transaction that appended them fails whole. */
    @Test
    void a_transaction_whose_request_appended_two_rows_without_a_transfer_id_commits_nothing() {
        String first = unique("two-rows-a");
        String second = unique("two-rows-b");
        String request = unique("request");

        assertThatThrownBy(() -> new TransactionTemplate(transactionManager).executeWithoutResult(status -> {
            outbox.append(List.of(row(first, 2, null, request)));
            outbox.append(List.of(row(second, 2, null, request)));
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining(request);

        assertThat(jdbc.queryForObject("select count(*) from outbox_event where account_id in (?, ?)", Long.class,
                first, second)).as("outbox rows the failed transaction left").isZero();
    }

    private static LedgerEntry row(String account, long version, String transferId, String requestId) {
        return new LedgerEntry(account, version, transferId == null ? LedgerEntry.DEPOSIT : LedgerEntry.TRANSFER_DEBIT,
                1L, "EUR", version, null, Instant.EPOCH, "entry-" + account, transferId, null, requestId, "client");
    }
}

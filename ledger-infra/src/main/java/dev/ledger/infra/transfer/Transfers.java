package dev.ledger.infra.transfer;

import java.sql.Timestamp;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/** The transfer table. */
@Repository
public class Transfers {

    private final JdbcTemplate jdbc;

    Transfers(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    public Optional<Transfer> find(String transferId) {
        return jdbc.query("select transfer_id, from_account_id, to_account_id, amount, currency, reference, status,"
                        + " from_version, to_version, created_at from transfer where transfer_id = ?",
                (rs, row) -> new Transfer(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4),
                        rs.getString(5), rs.getString(6), rs.getString(7), rs.getLong(8), rs.getLong(9),
                        rs.getTimestamp(10).toInstant()), transferId).stream().findFirst();
    }

    boolean exists(String transferId) {
        return Boolean.TRUE.equals(jdbc.queryForObject(
                "select exists (select 1 from transfer where transfer_id = ?)", Boolean.class, transferId));
    }

    void insert(Transfer transfer, String requestId, String clientId) {
        jdbc.update("insert into transfer (transfer_id, from_account_id, to_account_id, amount, currency, reference,"
                        + " status, from_version, to_version, request_id, client_id, created_at)"
                        + " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                transfer.transferId(), transfer.fromAccountId(), transfer.toAccountId(), transfer.amount(),
                transfer.currency(), transfer.reference(), transfer.status(), transfer.fromVersion(),
                transfer.toVersion(), requestId, clientId, Timestamp.from(transfer.createdAt()));
    }
}

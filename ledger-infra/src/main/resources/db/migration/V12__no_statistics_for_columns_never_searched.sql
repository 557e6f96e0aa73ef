-- ANALYZE of the three large tables (by TableMaintenance, or autovacuum) stops computing
-- statistics for columns that no statement of the ledger searches, joins, groups or sorts by:
-- payloads, stored answers, identifiers that are only carried along. The planner never reads those
-- statistics, and computing them (sorting a 30,000-row sample of each column, most of them text
-- compared by the database's collation) was about a third of each ANALYZE: the three took
-- 1.85-2.23 s together on a copy of the benchmark's 1.4M-event database, 1.19-1.28 s without these
-- columns. Under load such an ANALYZE shares the machine with the writer and the relay.
--
-- Every column a statement does search by keeps its statistics: the store's aggregate_identifier,
-- sequence_number, global_index, time_stamp and type (Axon's own queries), the inbox's client_id,
-- idempotency_key and created_at, the feed's position, account_id, version and relayed_at.
alter table domain_event_entry
    alter column payload set statistics 0,
    alter column meta_data set statistics 0,
    alter column event_identifier set statistics 0,
    alter column payload_type set statistics 0,
    alter column payload_revision set statistics 0;

alter table idempotency_inbox
    alter column response_body set statistics 0,
    alter column response_headers set statistics 0,
    alter column fingerprint set statistics 0,
    alter column request_id set statistics 0,
    alter column status_code set statistics 0;

alter table event_feed
    alter column entry_id set statistics 0,
    alter column request_id set statistics 0,
    alter column client_id set statistics 0,
    alter column reference set statistics 0,
    alter column transfer_id set statistics 0,
    alter column type set statistics 0,
    alter column amount set statistics 0,
    alter column balance_after set statistics 0,
    alter column overdraft_limit set statistics 0,
    alter column occurred_at set statistics 0,
    alter column currency set statistics 0;

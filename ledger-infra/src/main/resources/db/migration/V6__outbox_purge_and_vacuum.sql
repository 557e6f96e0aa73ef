-- Delivered outbox rows are now purged after a retention period (ledger.relay.retention), oldest
-- first. Every delivery also updates its row (relayed_at), leaving a dead tuple and dead entries
-- in the pending-rows partial indexes that the relay walks each round: vacuum this table after a
-- small fraction of it changes, instead of PostgreSQL's default fifth.
alter table outbox_event set (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_insert_scale_factor = 0.05,
    autovacuum_analyze_scale_factor = 0.02
);

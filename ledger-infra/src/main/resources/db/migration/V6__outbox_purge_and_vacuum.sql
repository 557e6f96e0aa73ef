-- Delivered outbox rows are now purged after a retention period (ledger.relay.retention), oldest
-- first. The purge finds them by delivery time through this index, so each of its statements
-- reads about what it deletes instead of walking every row delivered within the retention.
create index outbox_event_relayed on outbox_event (relayed_at) where relayed_at is not null;

-- Every delivery also updates its row (relayed_at), leaving a dead tuple and dead entries in the
-- pending-rows partial indexes that the relay walks each round: vacuum this table after a small
-- fraction of it changes, instead of PostgreSQL's default fifth.
alter table outbox_event set (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_insert_scale_factor = 0.05,
    autovacuum_analyze_scale_factor = 0.02
);

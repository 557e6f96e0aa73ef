-- The outbox's unique (account_id, version) goes. An outbox row is only ever written with its
-- event, in the same statement group and transaction (OutboxWritingStorageEngine), so the event
-- store's unique (aggregate_identifier, sequence_number) already refuses a second row for an
-- account version: the transaction that tries fails whole, its outbox row with it. No query of
-- the relay reads the outbox by account and version (it walks the pending rows by id, and probes
-- a request's rows by request id). The index cost every deposit an index entry and a WAL record
-- on the write path, and every vacuum of this short-lived table a pass over one more index.
alter table outbox_event drop constraint outbox_event_account_version_key;

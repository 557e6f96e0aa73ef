-- ANALYZE of the three large tables (by TableMaintenance, or autovacuum) reads a sample of 300 rows
-- per point of the largest statistics target among a table's columns: 30,000 rows, about as many
-- random pages, at the server's default target of 100. Every statement of the ledger that reads
-- these tables goes by a unique key or walks an index in its order (an account's stream, an
-- inbox key, the feed by position or by account and version, the purge by age), and the planner
-- picks those indexes from far fewer rows. The columns that statements search by keep their
-- statistics, from a sample of 3,000 rows (target 10); the columns they only carry have none (V12).
--
-- On a copy of the benchmark's 1.5M-event database (round 21), each of the three ANALYZEs took
-- 0.13-0.14 s instead of 0.48-0.61 s, and 0.2-0.5 s instead of 1.3-2.2 s paced as TableMaintenance
-- paces them (autovacuum's cost delay). Under load each is due about every 10 % of growth, and
-- while one ran the deposits' latency rose for seconds: the three in a 12 s window at 8
-- connections gave p99 10.1-13.8 ms with this change against 12.2-14.8 ms without (three pairs).
alter table domain_event_entry
    alter column aggregate_identifier set statistics 10,
    alter column sequence_number set statistics 10,
    alter column global_index set statistics 10,
    alter column time_stamp set statistics 10,
    alter column type set statistics 10;

alter table idempotency_inbox
    alter column client_id set statistics 10,
    alter column idempotency_key set statistics 10,
    alter column created_at set statistics 10;

alter table event_feed
    alter column position set statistics 10,
    alter column account_id set statistics 10,
    alter column version set statistics 10,
    alter column relayed_at set statistics 10;

-- Events are appended with plain JDBC batches (Axon's JdbcEventStorageEngine) instead of one JPA
-- persist per event: the insert leaves the global index out, and PostgreSQL takes it from the
-- sequence as each row is inserted. The sequence still hands out one value at a time (increment
-- 1, no cache), so global order keeps following insertion order across processes.
alter table domain_event_entry
    alter column global_index set default nextval('domain_event_entry_global_index_seq');
alter sequence domain_event_entry_global_index_seq owned by domain_event_entry.global_index;

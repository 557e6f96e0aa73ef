-- Since V8 the outbox holds undelivered rows only: relayed_at is always null and every id is
-- positive, so the id-ordered pending-rows index (V7: "where relayed_at is null and id > 0") held
-- exactly what the primary key holds. It goes; the relay's head scan walks the primary key in id
-- order instead. It cost every deposit an index entry and a WAL record on the write path, every
-- delivery a dead entry, and every vacuum of this short-lived table a pass over one more index.
-- The request probes keep the request index: PendingQueryPlanTest reproduces the statistics that
-- once had the planner walk an id-ordered index per candidate instead (V7), and checks the rows
-- a round reads.
drop index outbox_event_pending;

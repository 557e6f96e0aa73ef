-- The relay's two pending-row indexes must never stand in for each other. Both covered
-- "relayed_at is null", so the planner could find "the pending rows of this request" by walking
-- the id-ordered index and filtering on the request. It does so whenever its statistics say that
-- almost nothing is pending, which is what any ANALYZE taken while the relay has caught up says.
-- Behind a backlog that walk covers the whole backlog, once per candidate row of a round. In the
-- benchmark that meant 1.9 million buffer reads for a round of 500 rows, then 15 s socket
-- timeouts and a backlog of 117,000 rows.
-- The id-ordered index now also requires "id > 0". That holds for every row (ids come from a
-- sequence starting at 1). The relay's head scan states it; the request probes do not, so they
-- can only use the request index.
drop index outbox_event_pending;
create index outbox_event_pending on outbox_event (id) where relayed_at is null and id > 0;

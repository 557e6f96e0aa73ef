-- The relay reads the pending rows of a request together only when the request wrote more than one
-- row, and the only such requests are transfers: both legs carry the transfer's id, while every
-- other command writes one event (OutboxStore refuses to write two rows of one request without a
-- transfer id). The request index now holds a transfer's legs only. A deposit no longer adds an
-- entry to it: one B-tree leaf insert and WAL record less on the writer's path, and one dead entry
-- less per delivery for vacuum. The pending query states the predicate, so its request probes can
-- still only use this index (V7); PendingQueryPlanTest checks the rows a round reads.
drop index outbox_event_pending_request;
create index outbox_event_pending_request on outbox_event (request_id)
    where relayed_at is null and transfer_id is not null;

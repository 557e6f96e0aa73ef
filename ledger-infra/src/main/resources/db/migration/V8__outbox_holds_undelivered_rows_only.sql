-- The relay now deletes a row when its delivery commits, instead of setting relayed_at and
-- purging it an hour later. A delivered row is not needed: the feed and the read models hold what
-- it carried (the feed also when it was delivered), the event store holds the event. Marking cost
-- the server a new version of the row and an entry in each of its indexes, and the purge a delete
-- on top; a delete is one small record. relayed_at stays, always null now, so the pending-rows
-- indexes' predicates and every query that says "relayed_at is null" keep their meaning.
delete from outbox_event where relayed_at is not null;
drop index outbox_event_relayed;

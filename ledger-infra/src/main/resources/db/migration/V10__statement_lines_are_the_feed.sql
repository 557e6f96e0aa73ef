-- Statement lines are gone: each one was a copy of its event_feed row (the same account, version,
-- position, type, amount, currency, balance after, occurred at, entry, transfer and reference),
-- written in the same statement, and nothing ever read them. An account's lines in version order
-- are its feed rows, found through the feed's unique (account_id, version) index; its history as
-- recorded is GET /accounts/{id}/events, read from the event store. Each delivery wrote a heap row
-- and an index entry more per event, and each rebuild copied every event into the table again.
drop table statement_line;

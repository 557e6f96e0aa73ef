-- The transactional outbox: one row per account event, written in the transaction that appends
-- the event to the store. Per-account order comes from the account's version, never from id.
create table outbox_event (
    id              bigserial                   primary key,
    account_id      varchar(64)                 not null,
    version         bigint                      not null,
    type            varchar(32)                 not null,
    amount          bigint,
    currency        varchar(3)                  not null,
    balance_after   bigint                      not null,
    overdraft_limit bigint,
    occurred_at     timestamp(6) with time zone not null,
    entry_id        varchar(64),
    transfer_id     varchar(64),
    reference       varchar(140),
    request_id      varchar(36),
    client_id       varchar(64),
    created_at      timestamp(6) with time zone not null default now(),
    relayed_at      timestamp(6) with time zone,
    constraint outbox_event_account_version_key unique (account_id, version)
);

-- The relay reads only what it has not delivered yet, oldest first.
create index outbox_event_pending on outbox_event (id) where relayed_at is null;

-- Accounts whose delivery failed: their later events wait behind the failure until an operator
-- releases them. A released row stays (released_at set), so a failure after a retry counts as
-- another attempt instead of starting over.
create table relay_dead_letter (
    account_id  varchar(64)                 primary key,
    version     bigint                      not null,
    error       varchar(1000)               not null,
    attempts    integer                     not null,
    parked_at   timestamp(6) with time zone not null,
    released_at timestamp(6) with time zone
);

-- The global feed: the relayed stream in relay order. Positions are assigned one transaction at
-- a time (under an advisory lock), so they commit in increasing order and a reader paging by
-- position never skips a row that commits late.
create table event_feed (
    position        bigint                      primary key,
    account_id      varchar(64)                 not null,
    version         bigint                      not null,
    type            varchar(32)                 not null,
    amount          bigint,
    currency        varchar(3)                  not null,
    balance_after   bigint                      not null,
    overdraft_limit bigint,
    occurred_at     timestamp(6) with time zone not null,
    entry_id        varchar(64),
    transfer_id     varchar(64),
    reference       varchar(140),
    request_id      varchar(36),
    client_id       varchar(64),
    relayed_at      timestamp(6) with time zone not null,
    constraint event_feed_account_version_key unique (account_id, version)
);

-- Read model: each account's balance and the last version applied to it (the consumer inbox).
create table account_balance (
    account_id      varchar(64)                 primary key,
    currency        varchar(3)                  not null,
    balance         bigint                      not null,
    overdraft_limit bigint                      not null,
    version         bigint                      not null,
    position        bigint                      not null,
    updated_at      timestamp(6) with time zone not null
);

-- Read model: statement lines, one per account version.
create table statement_line (
    account_id    varchar(64)                 not null,
    version       bigint                      not null,
    position      bigint                      not null,
    type          varchar(32)                 not null,
    amount        bigint,
    currency      varchar(3)                  not null,
    balance_after bigint                      not null,
    occurred_at   timestamp(6) with time zone not null,
    entry_id      varchar(64),
    transfer_id   varchar(64),
    reference     varchar(140),
    constraint statement_line_pkey primary key (account_id, version)
);

-- Events that reached the read models ahead of their predecessor: held until it arrives.
create table projection_held (
    account_id varchar(64)                 not null,
    version    bigint                      not null,
    entry      text                        not null,
    held_at    timestamp(6) with time zone not null,
    constraint projection_held_pkey primary key (account_id, version)
);

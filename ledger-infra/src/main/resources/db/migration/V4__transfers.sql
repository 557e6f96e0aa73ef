-- Transfers: both legs are events on their accounts, committed in one transaction with this row.
create table transfer (
    transfer_id     varchar(64)                 primary key,
    from_account_id varchar(64)                 not null,
    to_account_id   varchar(64)                 not null,
    amount          bigint                      not null,
    currency        varchar(3)                  not null,
    reference       varchar(140),
    status          varchar(16)                 not null,
    from_version    bigint                      not null,
    to_version      bigint                      not null,
    request_id      varchar(36)                 not null,
    client_id       varchar(64)                 not null,
    created_at      timestamp(6) with time zone not null
);

-- The relay delivers all rows of one request (both legs of a transfer) in the same batch.
create index outbox_event_pending_request on outbox_event (request_id) where relayed_at is null;

-- Answered idempotent requests, written in the same transaction as the events they caused.
create table idempotency_inbox (
    client_id        varchar(64)              not null,
    idempotency_key  varchar(255)             not null,
    request_id       varchar(36)              not null,
    fingerprint      varchar(64)              not null,
    status_code      integer                  not null,
    response_headers text                     not null,
    response_body    bytea                    not null,
    created_at       timestamp(6) with time zone not null,
    constraint idempotency_inbox_pkey primary key (client_id, idempotency_key)
);

-- The purge walks expired keys oldest first.
create index idempotency_inbox_created_at on idempotency_inbox (created_at);

-- rewind's PostgreSQL schema, version 1. Additive only: every statement leaves an existing
-- table of the common schema (id, stream_id, stream_type, event_type, event_data, metadata,
-- version, global_position, created_at) and its rows as they were, adding what rewind
-- needs beside them. Applied in one transaction by the first command that writes, or by
-- `rewind migrate`; never by a command that only reads.
CREATE TABLE IF NOT EXISTS events (
    id              uuid        PRIMARY KEY,
    -- Byte order ("C"), as SQLite compares: listings page the same on both backends.
    stream_id       text        COLLATE "C" NOT NULL,
    stream_type     text        COLLATE "C" NOT NULL,
    event_type      text        COLLATE "C" NOT NULL,
    event_data      jsonb       NOT NULL,
    metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    version         bigint      NOT NULL,
    global_position bigserial   NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (stream_id, version)
);
ALTER TABLE events ADD COLUMN IF NOT EXISTS schema_version integer NOT NULL DEFAULT 1;
-- The commit-safe log order: a row is read only once every transaction that could still
-- commit a smaller id has ended (see DESIGN.md, Storage). Rows already there get the
-- migrating transaction's id, which keeps their order by position.
ALTER TABLE events ADD COLUMN IF NOT EXISTS tx_id xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX IF NOT EXISTS events_log_order ON events (tx_id, global_position);
CREATE INDEX IF NOT EXISTS events_type_log_order ON events (event_type, tx_id, global_position);
CREATE INDEX IF NOT EXISTS events_category_log_order ON events (stream_type, tx_id, global_position);
CREATE INDEX IF NOT EXISTS events_correlation ON events ((metadata ->> 'correlation_id'))
    WHERE metadata ? 'correlation_id';
CREATE INDEX IF NOT EXISTS events_causation ON events ((metadata ->> 'causation_id'))
    WHERE metadata ? 'causation_id';

-- One row a stream, kept in the append transaction.
CREATE TABLE IF NOT EXISTS streams (
    stream_id       text        COLLATE "C" PRIMARY KEY,
    stream_type     text        COLLATE "C" NOT NULL,
    version         bigint      NOT NULL,
    last_event_type text        NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS streams_stream_type ON streams (stream_type, stream_id);
CREATE INDEX IF NOT EXISTS streams_updated_at ON streams (updated_at, stream_id);
-- Streams written before rewind came (a store of the common schema).
INSERT INTO streams (stream_id, stream_type, version, last_event_type, created_at, updated_at)
SELECT stream_id, min(stream_type), max(version),
       (array_agg(event_type ORDER BY version DESC))[1], min(created_at), max(created_at)
FROM events GROUP BY stream_id
ON CONFLICT (stream_id) DO NOTHING;

-- Snapshot history. States are kept as text, byte for byte as the reducer gave them.
CREATE TABLE IF NOT EXISTS snapshots (
    stream_id  text        NOT NULL,
    reducer    text        NOT NULL,
    version    bigint      NOT NULL,
    state      text        NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (stream_id, reducer, version)
);

CREATE TABLE IF NOT EXISTS checkpoints (
    name       text        PRIMARY KEY,
    position   bigint      NOT NULL,
    state      text        NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS rewind_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

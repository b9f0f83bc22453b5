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
-- commit a smaller id has ended (see docs/architecture.md, the commit-order rule). Rows already there get the
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

-- The append in one statement (and, in autocommit, one round trip with its commit): lock
-- the streams (advisory, in one global order: no deadlocks; taken before anything assigns
-- the transaction its id, so a stream's later versions carry later ids), check each
-- segment's expected version against the stream as the segments before it left it, insert
-- and keep the streams rows. A conflict raises SQLSTATE RW001 (message: the actual
-- version; detail: the segment's number) and nothing of the batch is written. Event ids
-- are given (new ones; retries with the caller's ids take the general path).
CREATE OR REPLACE FUNCTION rewind_append(
    p_streams text[], p_stream_types text[], p_expected_kinds int[], p_expected int8[],
    p_counts int[], p_ids uuid[], p_event_types text[], p_data jsonb[], p_metadata jsonb[],
    p_schema_versions int[])
RETURNS TABLE (o_position int8, o_version int8, o_data text, o_metadata text, o_recorded int8,
    o_tx text)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    seg int;
    cur int8;
    n int;
    off int := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(k)
    FROM (SELECT DISTINCT hashtextextended(s, 0) AS k FROM unnest(p_streams) AS s ORDER BY k) AS keys;
    FOR seg IN 1 .. coalesce(array_length(p_streams, 1), 0) LOOP
        SELECT coalesce(max(e.version), 0) INTO cur FROM events AS e WHERE e.stream_id = p_streams[seg];
        IF NOT (CASE p_expected_kinds[seg] WHEN 0 THEN true WHEN 1 THEN cur = 0
                WHEN 2 THEN cur > 0 ELSE cur = p_expected[seg] END) THEN
            RAISE EXCEPTION USING ERRCODE = 'RW001', MESSAGE = cur::text, DETAIL = seg::text;
        END IF;
        n := p_counts[seg];
        IF n > 0 THEN
            RETURN QUERY
            WITH ins AS (
                INSERT INTO events AS e (id, stream_id, stream_type, event_type, event_data,
                    metadata, version, schema_version)
                SELECT u.i, p_streams[seg], p_stream_types[seg], u.t, u.d, u.m, cur + u.o, u.sv
                FROM unnest(p_ids[off + 1 : off + n], p_event_types[off + 1 : off + n],
                    p_data[off + 1 : off + n], p_metadata[off + 1 : off + n],
                    p_schema_versions[off + 1 : off + n]) WITH ORDINALITY AS u(i, t, d, m, sv, o)
                RETURNING e.global_position, e.version, e.event_data, e.metadata, e.created_at, e.tx_id)
            SELECT ins.global_position::int8, ins.version::int8, ins.event_data::text, ins.metadata::text,
                round(extract(epoch FROM ins.created_at) * 1000000)::int8, ins.tx_id::text
            FROM ins;
            INSERT INTO streams AS s (stream_id, stream_type, version, last_event_type,
                created_at, updated_at)
            VALUES (p_streams[seg], p_stream_types[seg], cur + n, p_event_types[off + n], now(), now())
            ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version,
                last_event_type = excluded.last_event_type, updated_at = excluded.updated_at;
        END IF;
        off := off + n;
    END LOOP;
END
$$;

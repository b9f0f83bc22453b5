-- rewind's SQLite schema, version 1.
-- Events are immutable: rows are inserted, never updated or deleted.
CREATE TABLE events (
    -- The rowid: store-wide, increasing in commit order (one writer at a time).
    global_position INTEGER PRIMARY KEY,
    -- 16 bytes (a UUID); `SELECT hex(event_id)` shows it. Half the size of its text
    -- form, in the table and in its unique index.
    event_id        BLOB    NOT NULL,
    stream_id       TEXT    NOT NULL,
    stream_type     TEXT    NOT NULL,
    event_type      TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    schema_version  INTEGER NOT NULL DEFAULT 1,
    data            TEXT    NOT NULL,
    metadata        TEXT    NOT NULL DEFAULT '{}',
    -- Copied out of metadata at append so that filters and causation chains use indexes.
    correlation_id  TEXT,
    causation_id    TEXT,
    -- RFC 3339 UTC with microseconds: fixed width, so text order is time order.
    recorded_at     TEXT    NOT NULL
);
CREATE UNIQUE INDEX events_event_id ON events (event_id);
CREATE UNIQUE INDEX events_stream_version ON events (stream_id, version);
-- Every SQLite index ends with the rowid, so these also order by global position.
CREATE INDEX events_event_type ON events (event_type);
CREATE INDEX events_stream_type ON events (stream_type);
CREATE INDEX events_correlation_id ON events (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE INDEX events_causation_id ON events (causation_id) WHERE causation_id IS NOT NULL;

-- One row a stream, kept in the append transaction.
CREATE TABLE streams (
    stream_id       TEXT    PRIMARY KEY,
    stream_type     TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    last_event_type TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX streams_stream_type ON streams (stream_type, stream_id);
CREATE INDEX streams_updated_at ON streams (updated_at);

-- Snapshot history: every (stream, reducer id, version) taken, not just the latest.
CREATE TABLE snapshots (
    stream_id  TEXT    NOT NULL,
    reducer    TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    state      TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (stream_id, reducer, version)
) WITHOUT ROWID;

-- Projection checkpoints by name: the last processed position and the partitions' state.
CREATE TABLE checkpoints (
    name       TEXT    PRIMARY KEY,
    position   INTEGER NOT NULL,
    state      TEXT    NOT NULL,
    updated_at TEXT    NOT NULL
) WITHOUT ROWID;

-- Facts about the store itself (e.g. the demo generator's seed and size).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

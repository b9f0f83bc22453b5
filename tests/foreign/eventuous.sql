-- Eventuous's PostgreSQL event store, schema `eventuous`, as Eventuous 0.15's
-- Eventuous.Postgresql scripts create it (Scripts/1_Schema.sql: streams, messages, the
-- stream_message type and append_events, here with the checks that matter for reading).
CREATE SCHEMA IF NOT EXISTS eventuous;

CREATE TABLE IF NOT EXISTS eventuous.streams (
    stream_name varchar(1000) NOT NULL,
    stream_id   integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    version     integer NOT NULL DEFAULT (-1),
    CONSTRAINT uq_streams_name UNIQUE (stream_name),
    CONSTRAINT ck_version_gte_negative_one CHECK (version >= -1)
);

CREATE TABLE IF NOT EXISTS eventuous.messages (
    message_id      uuid,
    message_type    varchar NOT NULL,
    stream_id       integer NOT NULL,
    stream_position integer NOT NULL,
    global_position bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    json_data       jsonb NOT NULL,
    json_metadata   jsonb,
    created         timestamp NOT NULL,
    CONSTRAINT fk_messages_stream FOREIGN KEY (stream_id) REFERENCES eventuous.streams (stream_id),
    CONSTRAINT uq_stream_id_position UNIQUE (stream_id, stream_position),
    CONSTRAINT uq_message_id UNIQUE (message_id)
);

CREATE TYPE eventuous.stream_message AS (
    message_id    uuid,
    message_type  varchar,
    json_data     jsonb,
    json_metadata jsonb
);

-- Appends to a stream: positions from 0, -2 (any) or the expected version.
CREATE OR REPLACE FUNCTION eventuous.append_events(
    _stream_name varchar,
    _expected_version integer,
    _created timestamp,
    _messages eventuous.stream_message[]
) RETURNS TABLE (current_version int, current_position bigint)
LANGUAGE plpgsql AS $$
DECLARE
    _current_version integer;
    _stream_id integer;
    _last_version integer;
    _last_position bigint;
BEGIN
    SELECT s.version, s.stream_id INTO _current_version, _stream_id
    FROM eventuous.streams s WHERE s.stream_name = _stream_name FOR UPDATE;
    IF _stream_id IS NULL THEN
        INSERT INTO eventuous.streams (stream_name, version) VALUES (_stream_name, -1)
        RETURNING stream_id, version INTO _stream_id, _current_version;
    END IF;
    IF _expected_version <> -2 AND _expected_version <> _current_version THEN
        RAISE EXCEPTION 'WrongExpectedVersion %, current version %', _expected_version, _current_version;
    END IF;
    WITH inserted AS (
        INSERT INTO eventuous.messages
            (message_id, message_type, stream_id, stream_position, json_data, json_metadata, created)
        SELECT m.message_id, m.message_type, _stream_id,
               _current_version + (row_number() OVER ())::int, m.json_data, m.json_metadata, _created
        FROM unnest(_messages) AS m
        RETURNING stream_position, global_position
    )
    SELECT max(stream_position), max(global_position) INTO _last_version, _last_position FROM inserted;
    UPDATE eventuous.streams SET version = _last_version WHERE stream_id = _stream_id;
    RETURN QUERY SELECT _last_version, _last_position;
END;
$$;

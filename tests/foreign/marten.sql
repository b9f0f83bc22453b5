-- Marten's event store tables, as Marten 7.x (Weasel) creates them in the `public` schema
-- with the default Guid stream identity, conjoined tenancy off, and event metadata
-- (correlation_id, causation_id, headers) enabled. Source: Marten's EventsTable and
-- StreamsTable (src/Marten/Events/Schema), docs/events/storage.md.
CREATE TABLE IF NOT EXISTS public.mt_streams (
    id                  uuid                        NOT NULL,
    type                varchar                     NULL,
    version             bigint                      NULL,
    timestamp           timestamptz                 NOT NULL DEFAULT (now()),
    snapshot            jsonb                       NULL,
    snapshot_version    integer                     NULL,
    created             timestamptz                 NOT NULL DEFAULT (now()),
    tenant_id           varchar                     NULL DEFAULT '*DEFAULT*',
    is_archived         bool                        NULL DEFAULT FALSE,
    CONSTRAINT pkey_mt_streams_id PRIMARY KEY (id)
);

CREATE SEQUENCE IF NOT EXISTS public.mt_events_sequence;

CREATE TABLE IF NOT EXISTS public.mt_events (
    seq_id              bigint                      NOT NULL,
    id                  uuid                        NOT NULL,
    stream_id           uuid                        NULL,
    version             bigint                      NOT NULL,
    data                jsonb                       NOT NULL,
    type                varchar(500)                NOT NULL,
    timestamp           timestamp with time zone    NOT NULL DEFAULT '(now())',
    tenant_id           varchar                     NULL DEFAULT '*DEFAULT*',
    mt_dotnet_type      varchar                     NULL,
    correlation_id      varchar                     NULL,
    causation_id        varchar                     NULL,
    headers             jsonb                       NULL,
    is_archived         bool                        NULL DEFAULT FALSE,
    CONSTRAINT pkey_mt_events_seq_id PRIMARY KEY (seq_id)
);

ALTER TABLE public.mt_events
    ADD CONSTRAINT fkey_mt_events_stream_id FOREIGN KEY (stream_id)
    REFERENCES public.mt_streams (id) ON DELETE CASCADE;
CREATE UNIQUE INDEX IF NOT EXISTS pk_mt_events_stream_and_version
    ON public.mt_events USING btree (stream_id, version);
ALTER SEQUENCE public.mt_events_sequence OWNED BY public.mt_events.seq_id;

CREATE TABLE IF NOT EXISTS public.mt_event_progression (
    name                varchar                     NOT NULL,
    last_seq_id         bigint                      NULL,
    last_updated        timestamptz                 NULL DEFAULT (transaction_timestamp()),
    CONSTRAINT pk_mt_event_progression PRIMARY KEY (name)
);

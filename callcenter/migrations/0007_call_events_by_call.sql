-- A call's raw events are found and told apart by one index, (provider, call_id, dedup_key), instead
-- of a unique (provider, dedup_key) beside a (provider, call_id) index: storing an event writes one
-- index entry instead of two. A dedup key always belongs to one call (the adapters build it from
-- the call's or its leg's id), so what counts as a repeat is unchanged. SQLite cannot drop a
-- table's UNIQUE constraint, so the table is rebuilt; rows keep their order (nothing refers to
-- their ids).

CREATE TABLE call_events_by_call (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL,
    integration_id INTEGER REFERENCES integrations (id),
    call_id TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    event TEXT NOT NULL,
    raw TEXT NOT NULL,
    UNIQUE (provider, call_id, dedup_key)
);

INSERT INTO call_events_by_call (provider, integration_id, call_id, dedup_key, kind, at_ms, received_at, event, raw)
SELECT provider, integration_id, call_id, dedup_key, kind, at_ms, received_at, event, raw FROM call_events ORDER BY id;

DROP TABLE call_events;

ALTER TABLE call_events_by_call RENAME TO call_events;

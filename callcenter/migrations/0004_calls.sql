-- Calls: every raw telephony event as received (idempotent by dedup key), the folded call record,
-- and which agents have been popped for which call (a duplicate never pops twice).

CREATE TABLE call_events (
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
    UNIQUE (provider, dedup_key)
);
CREATE INDEX call_events_call ON call_events (provider, call_id);

CREATE TABLE calls (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL,
    external_id TEXT NOT NULL,
    integration_id INTEGER REFERENCES integrations (id),
    parent_external_id TEXT,
    direction TEXT NOT NULL,
    state TEXT NOT NULL,
    from_number TEXT,
    to_number TEXT,
    customer_number TEXT,
    customer_id INTEGER REFERENCES customers (id) ON DELETE SET NULL,
    match TEXT,
    queue TEXT,
    agent_id INTEGER REFERENCES users (id),
    agent_name TEXT,
    agents_rung TEXT NOT NULL DEFAULT '[]',
    started_at BIGINT NOT NULL,
    ringing_at BIGINT,
    answered_at BIGINT,
    ended_at BIGINT,
    wait_s DOUBLE PRECISION,
    talk_s DOUBLE PRECISION,
    hold_s DOUBLE PRECISION NOT NULL DEFAULT 0,
    on_hold_since BIGINT,
    cause TEXT,
    ivr TEXT,
    language TEXT,
    voicemail BOOLEAN NOT NULL DEFAULT FALSE,
    notes TEXT NOT NULL DEFAULT '',
    disposition TEXT,
    event_count INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (provider, external_id)
);
CREATE INDEX calls_customer ON calls (customer_id, started_at);
CREATE INDEX calls_agent ON calls (agent_id, started_at);
CREATE INDEX calls_parent ON calls (provider, parent_external_id);
CREATE INDEX calls_started ON calls (started_at);
CREATE INDEX calls_state ON calls (state);

CREATE TABLE call_pops (
    call_id INTEGER NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    popped_at BIGINT NOT NULL,
    PRIMARY KEY (call_id, user_id)
);
CREATE INDEX call_pops_user ON call_pops (user_id, popped_at);

-- Agents and inbound routing: skills, queues, dispositions, calendars, dialled numbers, agents'
-- work state and its time-in-state ledger, calls the server routes, routing decisions, timers.
-- Portable SQL: epoch-millisecond BIGINT times, JSON as TEXT, INTEGER PRIMARY KEY ids.

CREATE TABLE skills (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    name_zh TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- An agent's proficiency in a skill, 1 (can take it) to 5 (expert).
CREATE TABLE agent_skills (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    skill_id INTEGER NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
    proficiency INTEGER NOT NULL CHECK (proficiency BETWEEN 1 AND 5),
    PRIMARY KEY (user_id, skill_id)
);
CREATE INDEX agent_skills_skill ON agent_skills (skill_id);

-- ``key`` is the name a PBX and the router use (``sales``); ``id`` is what other rows reference.
CREATE TABLE queues (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_zh TEXT,
    ring_timeout_s INTEGER NOT NULL DEFAULT 20 CHECK (ring_timeout_s BETWEEN 5 AND 300),
    -- Misses in a row before an agent is set away(missed_calls); NULL never.
    max_no_answer INTEGER CHECK (max_no_answer IS NULL OR max_no_answer >= 1),
    -- Seconds of wrap-up after a call before the agent is idle again without a disposition.
    wrap_up_s INTEGER NOT NULL DEFAULT 60 CHECK (wrap_up_s BETWEEN 0 AND 3600),
    max_wait_s INTEGER CHECK (max_wait_s IS NULL OR max_wait_s >= 0),
    max_queue INTEGER CHECK (max_queue IS NULL OR max_queue >= 0),
    -- What happens past max_wait_s / max_queue: another queue, voicemail, a callback, or reject.
    overflow_action TEXT NOT NULL DEFAULT 'reject'
        CHECK (overflow_action IN ('reject', 'queue', 'voicemail', 'callback')),
    overflow_queue_id INTEGER REFERENCES queues (id) ON DELETE SET NULL,
    -- JSON {"A": 60, "B": 20, "C": 0}: seconds of virtual wait per customer value tier.
    tier_bonus TEXT NOT NULL DEFAULT '{"A": 60, "B": 20, "C": 0}',
    -- Answered within this many seconds counts toward the service level.
    service_level_s INTEGER NOT NULL DEFAULT 20 CHECK (service_level_s >= 1),
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK ((overflow_action = 'queue') = (overflow_queue_id IS NOT NULL)),
    CHECK (overflow_queue_id IS NULL OR overflow_queue_id <> id)
);

-- The skills a queue wants, each at a minimum proficiency.
CREATE TABLE queue_skills (
    queue_id INTEGER NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
    skill_id INTEGER NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
    min_proficiency INTEGER NOT NULL DEFAULT 1 CHECK (min_proficiency BETWEEN 1 AND 5),
    PRIMARY KEY (queue_id, skill_id)
);
CREATE INDEX queue_skills_skill ON queue_skills (skill_id);

-- How a call ended, chosen at wrap-up; per queue.
CREATE TABLE dispositions (
    id INTEGER PRIMARY KEY,
    queue_id INTEGER NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    label_zh TEXT,
    first_contact_resolved BOOLEAN NOT NULL DEFAULT FALSE,
    position INTEGER NOT NULL DEFAULT 0,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (queue_id, code)
);

-- Opening hours: weekly slots in a timezone, public holidays of a country, custom days.
CREATE TABLE calendars (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    name_en TEXT,
    name_zh TEXT,
    timezone TEXT NOT NULL,
    holiday_country TEXT,
    holiday_subdivision TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Seconds after local midnight; end_s 86400 runs to midnight.
CREATE TABLE calendar_slots (
    id INTEGER PRIMARY KEY,
    calendar_id INTEGER NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    start_s INTEGER NOT NULL CHECK (start_s BETWEEN 0 AND 86399),
    end_s INTEGER NOT NULL CHECK (end_s BETWEEN 1 AND 86400),
    CHECK (end_s > start_s)
);
CREATE INDEX calendar_slots_calendar ON calendar_slots (calendar_id, weekday, start_s);

-- Custom closed days and days open despite a holiday or the weekly slots; ISO dates.
CREATE TABLE calendar_days (
    calendar_id INTEGER NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('closed', 'open')),
    name TEXT,
    PRIMARY KEY (calendar_id, day)
);

-- A dialled number (E.164): its queue, region for callers' national numbers, hours and closed action.
CREATE TABLE numbers (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    label TEXT,
    queue_id INTEGER NOT NULL REFERENCES queues (id),
    region TEXT NOT NULL,
    calendar_id INTEGER REFERENCES calendars (id),
    closed_action TEXT NOT NULL DEFAULT 'reject' CHECK (closed_action IN ('reject', 'voicemail', 'callback')),
    -- Played to callers outside opening hours (TwiML <Say>); NULL uses the default message.
    closed_message TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX numbers_queue ON numbers (queue_id);

-- What an agent is doing; the router is rebuilt from this table and agent_presence.
CREATE TABLE agent_work (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    state TEXT NOT NULL DEFAULT 'idle' CHECK (state IN ('idle', 'ringing', 'on_call', 'wrap_up')),
    call_id INTEGER REFERENCES calls (id) ON DELETE SET NULL,
    since BIGINT NOT NULL,
    idle_since BIGINT NOT NULL,
    missed_in_row INTEGER NOT NULL DEFAULT 0,
    -- The queue of the call being wrapped up (its dispositions and its wrap-up timeout).
    queue_key TEXT
);

-- The time-in-state ledger: one row per interval of (presence, reason, work); the open one has no end.
CREATE TABLE agent_state_log (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    presence TEXT NOT NULL,
    reason TEXT,
    work TEXT NOT NULL,
    call_id INTEGER,
    started_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX agent_state_log_user ON agent_state_log (user_id, started_at);
CREATE INDEX agent_state_log_started ON agent_state_log (started_at);
CREATE UNIQUE INDEX agent_state_log_open ON agent_state_log (user_id) WHERE ended_at IS NULL;

-- Live websocket connections per agent and server node; presence turns offline 30 s after the last.
CREATE TABLE server_nodes (
    id TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL,
    seen_at BIGINT NOT NULL
);
CREATE TABLE agent_connections (
    sid TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    node_id TEXT NOT NULL,
    connected_at BIGINT NOT NULL
);
CREATE INDEX agent_connections_user ON agent_connections (user_id);
CREATE INDEX agent_connections_node ON agent_connections (node_id);

-- Calls the server routes: waiting for an agent or ringing one; one agent rings for one call at most.
CREATE TABLE routed_calls (
    call_id INTEGER PRIMARY KEY REFERENCES calls (id) ON DELETE CASCADE,
    queue_key TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'ringing', 'answered', 'overflowed', 'rejected', 'closed', 'gone')),
    enqueued_at BIGINT NOT NULL,
    customer_tier TEXT,
    dedicated_agent_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- JSON list of agents who let it ring out.
    excluded TEXT NOT NULL DEFAULT '[]',
    ringing_agent_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    ringing_since BIGINT,
    target TEXT,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX routed_calls_one_ringing ON routed_calls (ringing_agent_id) WHERE state = 'ringing';
CREATE INDEX routed_calls_state ON routed_calls (state, enqueued_at);

-- One row: bumped by every change to routing state, so a node can tell its in-memory router is
-- stale (another node changed it) and rebuild; locking it also serialises routing across nodes.
CREATE TABLE routing_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL,
    node_id TEXT
);
INSERT INTO routing_state (id, version, node_id) VALUES (1, 0, NULL);

-- Every routing decision with what it weighed, for the supervisor's "why".
CREATE TABLE routing_decisions (
    id INTEGER PRIMARY KEY,
    call_id INTEGER NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    queue_key TEXT NOT NULL,
    action TEXT NOT NULL,
    rule TEXT NOT NULL,
    agent_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    target TEXT,
    payload TEXT NOT NULL,
    decided_at BIGINT NOT NULL
);
CREATE INDEX routing_decisions_call ON routing_decisions (call_id, id);
CREATE INDEX routing_decisions_at ON routing_decisions (decided_at);

-- Work due at a moment, claimed by one node at a time (a lease), deleted when done.
CREATE TABLE timers (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    claimed_by TEXT,
    claimed_until BIGINT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (kind, key)
);
CREATE INDEX timers_due ON timers (due_at);

ALTER TABLE calls ADD COLUMN disposition_id INTEGER REFERENCES dispositions (id) ON DELETE SET NULL;
ALTER TABLE calls ADD COLUMN first_contact_resolved BOOLEAN;
ALTER TABLE calls ADD COLUMN wrap_up_s DOUBLE PRECISION;
ALTER TABLE calls ADD COLUMN wrapped_up_at BIGINT;
ALTER TABLE calls ADD COLUMN number_id INTEGER REFERENCES numbers (id) ON DELETE SET NULL;

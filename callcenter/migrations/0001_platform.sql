-- Platform: accounts, sessions, login throttling, audit, replayable pushes, presence.
-- Portable SQL: epoch-millisecond BIGINT times, JSON as TEXT, INTEGER PRIMARY KEY ids.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    password_hash TEXT NOT NULL,
    locale TEXT CHECK (locale IS NULL OR locale IN ('en', 'zh-Hans')),
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    ip TEXT NOT NULL,
    at BIGINT NOT NULL,
    ok BOOLEAN NOT NULL
);
CREATE INDEX login_attempts_user ON login_attempts (username, at);
CREATE INDEX login_attempts_ip ON login_attempts (ip, at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id INTEGER REFERENCES users (id),
    actor_role TEXT,
    action TEXT NOT NULL,
    target_kind TEXT,
    target_id TEXT,
    detail TEXT NOT NULL DEFAULT '{}',
    ip TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE push_seq (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL
);

CREATE TABLE pushes (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, seq)
);
CREATE INDEX pushes_created ON pushes (created_at);

CREATE TABLE agent_presence (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    presence TEXT NOT NULL CHECK (presence IN ('offline', 'available', 'away')),
    reason TEXT,
    since BIGINT NOT NULL
);

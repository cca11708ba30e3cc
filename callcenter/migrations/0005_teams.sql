-- Teams: groups of agents with a room each (team:<id>); a supervisor who is a member leads it.
-- Portable SQL: epoch-millisecond BIGINT times, INTEGER PRIMARY KEY ids.

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    -- The name Chinese-speaking users see, when it differs; NULL shows ``name`` to everyone.
    name_zh TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A user may be in several teams.
CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

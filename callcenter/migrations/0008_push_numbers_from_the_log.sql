-- A user's push numbers come from the push log itself, one above their newest push, instead of
-- a counter row of their own: a push costs one statement and one index page less. The log now
-- keeps each user's newest push past the replay window, so numbers never go back. Users whose
-- pushes have all been pruned keep their number as an empty marker push (clients ignore it).

INSERT INTO pushes (user_id, seq, event, payload, created_at)
SELECT s.user_id, s.seq, 'console:mark', '{}', 0 FROM push_seq s
WHERE s.seq > (SELECT COALESCE(MAX(p.seq), 0) FROM pushes p WHERE p.user_id = s.user_id);

DROP TABLE push_seq;

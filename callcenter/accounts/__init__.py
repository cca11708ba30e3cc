"""Users, roles, sessions, login throttling and the audit log."""

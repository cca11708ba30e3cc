"""The audit log: every admin and supervisor action, written in the action's own transaction."""

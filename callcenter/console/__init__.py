"""The console's durable push log and the snapshot a reconnecting client catches up with."""

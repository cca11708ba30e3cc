"""Numbered SQL migrations, applied in order by ``Database.migrate``."""

"""Telephony ingestion: vendor adapters mapped onto one call-event vocabulary, and the call state fold."""

"""Telephony integrations: who may post call events, their tokens, secrets, regions and block lists."""

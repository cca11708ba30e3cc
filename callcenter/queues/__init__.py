"""Queues: the skills agents hold, the queues calls wait in with the skills they want, and dispositions."""

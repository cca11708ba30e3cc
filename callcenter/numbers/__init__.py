"""Dialled numbers: which queue a call to each of our numbers goes to, in which hours, and what happens after."""

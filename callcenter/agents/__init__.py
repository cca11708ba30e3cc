"""Agents: presence and, later, work state, skills and devices."""

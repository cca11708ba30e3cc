"""Agents: presence, devices and the names telephony systems use for agents; later work state and skills."""

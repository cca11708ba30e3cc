"""Timers: work due at a moment (ring and wrap-up timeouts, daily jobs), run once across every server node."""

"""Opening-hours calendars: weekly slots in a timezone, holidays and exceptions, for routing and SLAs."""

"""Customers: profiles, phone numbers, caller matching and customer value."""

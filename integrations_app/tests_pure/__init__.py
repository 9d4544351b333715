"""Frappe-free tests (unittest style so both pytest and `bench run-tests` can run them)."""

"""Pure logic of integrations_app.

Nothing in this package imports frappe, so it runs under plain pytest
(`python -m pytest integrations_app/tests_pure`) and stays easy to reason about.
"""

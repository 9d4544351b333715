"""Payments through connections: Integration Payment rows, settled exactly once.

`rules/` is Frappe-free (state machine, provider objects read into one shape, money, Razorpay's
checkout signature) and tested by tests_pure; `ledger.py` applies it to the database under a row
lock; `inbound.py` holds the webhook handlers hooks.py registers; `redirect.py` the browser's way
back; `gateway.py` the optional ERPNext / payments-app Payment Gateway path.
"""

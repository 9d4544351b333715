"""Data sync, the Frappe half (docs/sync.md): Integration Sync Profile configuration pushed to the
sidecar's engine, the local store the engine reads and writes through `api/sync.py`, the Sync
Log and run history it reports, real-time pushes through the outbox, and the desk's actions."""

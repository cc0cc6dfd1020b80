"""Django's SQLite backend, as the embedded default uses it (config/sqlite_backend/base.py)."""

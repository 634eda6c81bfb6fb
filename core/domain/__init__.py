"""Pure domain rules: no database, no I/O. Each rule lives in one module here."""

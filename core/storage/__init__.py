"""Where photo bytes live: never in the database, always addressed by their SHA-256."""

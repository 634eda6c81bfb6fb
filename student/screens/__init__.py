"""One module per screen of the student journey; each exposes ``render()``."""

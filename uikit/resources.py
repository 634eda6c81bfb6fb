"""The database and the photo store, created once per server process and per configured location,
for the staff app and the student app alike."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from core import worker
from core.config import settings
from core.db import Database
from core.storage.photos import PhotoStore, open_photo_store


@st.cache_resource(show_spinner=False, on_release=Database.dispose)
def _database(url: str) -> Database:
    return Database(url)


@st.cache_resource(show_spinner=False)
def _store(location: str) -> PhotoStore:
    """A folder or ``s3://bucket/prefix``, as the settings name it."""
    return open_photo_store(replace(settings(), photo_store=location))


def database() -> Database:
    worker.install()  # jobs this process commits go to the configured queue
    return _database(settings().database_url)


def photo_store() -> PhotoStore:
    return _store(settings().photo_store)

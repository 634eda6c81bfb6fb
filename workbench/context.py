"""What every page needs: the database, the photo store and the signed-in staff member.

The database and store are created once per server process and per configured location; the
actor is re-read from the database on every run, so a disabled account or changed role applies on
the next click, and an idle session times out.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import streamlit as st

from core.config import PROJECT_ROOT, Settings
from core.db import Database
from core.domain.access import Actor
from core.errors import AccessDenied
from core.services import staff
from core.storage.photos import PhotoStore, open_photo_store

USER_KEY = "staff_user_id"
ACTIVITY_KEY = "staff_last_activity"


@st.cache_resource(show_spinner=False)
def _database(url: str) -> Database:
    return Database(url)


@st.cache_resource(show_spinner=False)
def _store(location: str) -> PhotoStore:
    return open_photo_store(replace(Settings.from_env(), photo_store=location))


def database() -> Database:
    data_dir = Path(os.environ.get("WORKBENCH_DATA_DIR", PROJECT_ROOT / "data"))
    return _database(os.environ.get("WORKBENCH_DATABASE_URL", f"sqlite:///{data_dir / 'workbench.db'}"))


def photo_store() -> PhotoStore:
    data_dir = Path(os.environ.get("WORKBENCH_DATA_DIR", PROJECT_ROOT / "data"))
    return _store(os.environ.get("WORKBENCH_PHOTO_STORE", str(data_dir / "photos")))


def session_timeout_seconds() -> int:
    return int(os.environ.get("WORKBENCH_SESSION_MINUTES", "30")) * 60


def current_actor() -> Actor | None:
    """The signed-in staff member, or None (not signed in, timed out, or account disabled)."""
    user_id = st.session_state.get(USER_KEY)
    if user_id is None:
        return None
    last = st.session_state.get(ACTIVITY_KEY, time.time())
    if time.time() - last > session_timeout_seconds():
        sign_out(reason="timeout")
        return None
    try:
        with database().session() as session:
            actor = staff.load_actor(session, user_id)
    except AccessDenied:
        sign_out(reason="disabled")
        return None
    st.session_state[ACTIVITY_KEY] = time.time()
    return actor


def sign_in(user_id: int) -> None:
    st.session_state[USER_KEY] = user_id
    st.session_state[ACTIVITY_KEY] = time.time()


def sign_out(reason: str = "") -> None:
    for key in list(st.session_state.keys()):
        if key not in ("lang", "_lang_radio"):
            del st.session_state[key]
    if reason:
        st.session_state["signed_out_reason"] = reason


def require_actor() -> Actor:
    """For page files: the actor, or stop the page (navigation never registers it for others)."""
    actor = current_actor()
    if actor is None:
        st.stop()
    return actor

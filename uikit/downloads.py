"""Download buttons that work however fast they are clicked.

A ``st.download_button`` given a callable registers a *deferred* file under a new random id on
every run of the page, and forgets the previous run's id. Clicking it reruns the page (by default),
so a second click made before the browser has the new id asks for one that is gone:
``MediaFileStorageError: Deferred file … not found``. Given bytes instead, Streamlit names the file
by a hash of its content, so the same file keeps the same link across reruns, and with
``on_click="ignore"`` a click does not rerun the page at all. Every download in both apps therefore
passes bytes through ``download_button``; an export that is costly or audited is made on request
first (``export_button``: one click makes it, the next downloads it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

PREPARED = "_prepared_download_"


def download_button(label: str, data: bytes, *, file_name: str, mime: str, key: str, container: Any = None,
                    icon: str | None = ":material/download:", **options: Any) -> None:
    """A download of bytes already made: content-addressed link, no rerun on click."""
    (container or st).download_button(label, data, file_name=file_name, mime=mime, key=key, icon=icon,
                                      on_click="ignore", **options)


def export_button(prepare_label: str, download_label: str, build: Callable[[], bytes], *, file_name: str,
                  mime: str, key: str, fingerprint: object = None, container: Any = None) -> None:
    """Makes the file when the first button is clicked (the export, and its audit entry, happen
    then; clicking it again makes a fresh one) and offers it for download until ``fingerprint``
    (what it was made from, e.g. the filters) changes. ``build`` may raise a ``DomainError``; the
    caller shows it."""
    place = container or st
    state_key = PREPARED + key
    prepared = st.session_state.get(state_key)
    if prepared is not None and prepared[0] != fingerprint:
        del st.session_state[state_key]
        prepared = None
    if place.button(prepare_label, key=f"{key}_prepare", icon=":material/description:"):
        prepared = (fingerprint, build())
        st.session_state[state_key] = prepared
    if prepared is not None:
        download_button(download_label, prepared[1], file_name=file_name, mime=mime, key=key, container=place,
                        type="primary")

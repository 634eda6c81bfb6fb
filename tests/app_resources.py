"""The apps' shared resources (``uikit.resources``) in AppTest runs."""

from __future__ import annotations

import pytest

from core.db import Database


def share_database_with_apps(monkeypatch: pytest.MonkeyPatch, db: Database) -> None:
    """Pages reach the database through ``uikit.resources``, one per server process; in a page
    test that one is the test's own, so the pages run on the engine the test set up (statements
    compiled once per session, connections closed with the test)."""
    from uikit import resources

    def the_tests(url: str) -> Database:
        assert url == db.url, f"the app asked for {url}, the test runs on {db.url}"
        return db

    monkeypatch.setattr(resources, "_database", the_tests)

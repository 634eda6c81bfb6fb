"""Configuration from environment variables, with zero-set-up defaults under ``data/``.

Read once per process (``settings()``); everything else asks it, never the environment.

WORKBENCH_DATA_DIR       folder of everything the app writes (default: data/ in the project)
WORKBENCH_DATABASE_URL   any SQLAlchemy URL (default: SQLite file <data dir>/workbench.db)
WORKBENCH_PHOTO_STORE    folder of the content-addressed photo store (default: <data dir>/photos)
WORKBENCH_QUEUE          "sqlite" (default, data/queue.db), "redis://host:port/db", or "immediate"
                         (jobs run inline; tests)
WORKBENCH_FIXTURES       folder of demo/test photos (default: ../shared/fixtures)
WORKBENCH_SESSION_MINUTES  staff session timeout (default 30)
WORKBENCH_EXPORT_RETENTION_DAYS  exported CHSI packages (data/exports) older than this are deleted
                         at the next export (default 7; a batch can be exported again, identically)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    database_url: str
    photo_store: Path
    queue: str
    fixtures_dir: Path
    data_dir: Path
    session_minutes: int
    export_retention_days: int = 7

    @property
    def exports_dir(self) -> Path:
        """Exported CHSI packages: inside the data folder, never the system temp folder."""
        return self.data_dir / "exports"

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(os.environ.get("WORKBENCH_DATA_DIR", PROJECT_ROOT / "data"))
        return cls(
            database_url=os.environ.get(
                "WORKBENCH_DATABASE_URL", f"sqlite:///{data_dir / 'workbench.db'}"
            ),
            photo_store=Path(os.environ.get("WORKBENCH_PHOTO_STORE", data_dir / "photos")),
            queue=os.environ.get("WORKBENCH_QUEUE", "sqlite"),
            fixtures_dir=Path(
                os.environ.get("WORKBENCH_FIXTURES", PROJECT_ROOT.parent / "shared" / "fixtures")
            ),
            data_dir=data_dir,
            session_minutes=int(os.environ.get("WORKBENCH_SESSION_MINUTES", "30")),
            export_retention_days=int(os.environ.get("WORKBENCH_EXPORT_RETENTION_DAYS", "7")),
        )


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The configuration, read from the environment on first use. Tests that change the
    environment call ``settings.cache_clear()``."""
    return Settings.from_env()


def fixtures_dir(*parts: str) -> Path:
    """A path inside the demo/test photos (WORKBENCH_FIXTURES, default ../shared/fixtures): the
    one place that knows where they are. The photos are read in place, never copied."""
    return settings().fixtures_dir.joinpath(*parts)

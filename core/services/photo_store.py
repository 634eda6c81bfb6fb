"""Checking the photo store against the database: ``python -m core store verify``.

Every photo the database names (captures, standardised photos, thumbnails, enrolment photos, the
photos of CHSI batches) must exist in the store and hash to its name. The check walks the
database's names and the store's files side by side, both in sorted order, so it holds neither
list in memory; it reads each referenced photo once. Files no row names are counted (they cost
disk space, not correctness), and so are stray files such as a half-written ``.incoming-`` file a
crash left behind. Run it after restoring a backup, and whenever an export refuses a photo.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Select, literal, select, union_all
from sqlalchemy.orm import Session

from core.domain.access import Actor, allowed, require_role
from core.domain.enums import Role
from core.models import BatchItem, RosterRecord, Submission
from core.storage.photos import PhotoState, PhotoStore

LISTED = 200
"""Problems listed with where they are used; past this only counted."""

_REFERENCES = (
    (Submission.raw_sha, Submission.id, "submission", "raw capture"),
    (Submission.standardised_sha, Submission.id, "submission", "standardised photo"),
    (Submission.thumbnail_sha, Submission.id, "submission", "thumbnail"),
    (RosterRecord.enrolment_photo_sha, RosterRecord.id, "roster_record", "enrolment photo"),
    (BatchItem.sha256, BatchItem.id, "batch_item", "CHSI batch photo"),
)


@dataclass(frozen=True)
class PhotoProblem:
    sha: str
    state: PhotoState
    used_by: tuple[str, ...]
    """Where the database names it, e.g. ``submission 12 (standardised photo)``."""


@dataclass
class StoreReport:
    checked: int = 0
    """Distinct photos the database names."""
    problems: list[PhotoProblem] = field(default_factory=list)
    """The first ``LISTED`` missing or damaged photos."""
    missing: int = 0
    damaged: int = 0
    unreferenced: int = 0
    unreferenced_bytes: int = 0
    stray_files: int = 0

    @property
    def ok(self) -> bool:
        return self.missing == 0 and self.damaged == 0

    def lines(self) -> list[str]:
        """The report as an operator reads it on the console (English: a server log)."""
        out = [f"photos named by the database: {self.checked:,}",
               f"missing: {self.missing:,}   damaged: {self.damaged:,}",
               f"in the store but named by no row: {self.unreferenced:,} ({self.unreferenced_bytes / 1e6:.1f} MB)",
               f"stray files (not photos): {self.stray_files:,}"]
        for problem in self.problems:
            out.append(f"  {problem.state.value:<8} {problem.sha}  used by: {', '.join(problem.used_by)}")
        if len(self.problems) < self.missing + self.damaged:
            out.append(f"  … and {self.missing + self.damaged - len(self.problems):,} more")
        out.append("OK: every photo the database names is present and intact." if self.ok else
                   "NOT OK: restore the photos above from the backup of the photo store (see README, Backups).")
        return out


def _referenced(session: Session) -> Iterator[str]:
    """Every photo name the database holds, each once, in sorted order, streamed."""
    names = union_all(*[select(column.label("sha")).where(column.is_not(None)) for column, *_ in _REFERENCES]).subquery()
    order = names.c.sha.collate("C") if session.get_bind().dialect.name == "postgresql" else names.c.sha
    query: Select[tuple[str]] = select(names.c.sha).group_by(names.c.sha).order_by(order)
    for (sha,) in session.execute(query.execution_options(yield_per=5_000)):
        yield sha


def _used_by(session: Session, sha: str) -> tuple[str, ...]:
    uses = union_all(*[select(literal(f"{table} "), key, literal(f" ({what})")).where(column == sha)
                       for column, key, table, what in _REFERENCES])
    return tuple(f"{table}{key}{what}" for table, key, what in session.execute(select(uses.subquery())))


@allowed(Role.ADMIN)
def verify(session: Session, actor: Actor, store: PhotoStore) -> StoreReport:
    """Checks every photo the database names; counts what the store holds beyond them."""
    require_role(actor, Role.ADMIN)
    report = StoreReport()
    stored = store.names()
    pending = next(stored, None)
    for sha in _referenced(session):
        while pending is not None and pending < sha:
            _unreferenced(report, store, pending)
            pending = next(stored, None)
        if pending == sha:
            pending = next(stored, None)
        report.checked += 1
        state = store.check(sha) if _looks_like_a_name(sha) else PhotoState.MISSING
        if state is PhotoState.OK:
            continue
        if state is PhotoState.MISSING:
            report.missing += 1
        else:
            report.damaged += 1
        if len(report.problems) < LISTED:
            report.problems.append(PhotoProblem(sha, state, _used_by(session, sha)))
    while pending is not None:
        _unreferenced(report, store, pending)
        pending = next(stored, None)
    report.stray_files = sum(1 for _ in store.stray_files())
    return report


def _unreferenced(report: StoreReport, store: PhotoStore, sha: str) -> None:
    report.unreferenced += 1
    report.unreferenced_bytes += store.size(sha)


def _looks_like_a_name(sha: str) -> bool:
    return len(sha) == 64 and all(c in "0123456789abcdef" for c in sha)

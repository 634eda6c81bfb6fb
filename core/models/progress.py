"""Each student's furthest stage per task, kept by the database session itself.

The progress dashboards count students by stage. Grouping every submission of every student on
each page load costs about a second at a million submissions; this narrow table holds the answer
(one row per student and task that has a submission) and is brought up to date in the same flush
that adds or changes a submission, whichever service made the change, so it can never lag behind
a committed state. ``rebuild_progress`` recomputes it whole (after bulk loads in SQL).
"""

from __future__ import annotations

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    SmallInteger,
    case,
    delete,
    event,
    func,
    inspect,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column

from core.domain.enums import SubmissionState
from core.domain.states import Stage, stage_of
from core.models.base import Base
from core.models.submissions import Submission


class PhotoProgress(Base):
    __tablename__ = "photo_progress"

    task_id: Mapped[int] = mapped_column(ForeignKey("collection_task.id"), primary_key=True)
    roster_record_id: Mapped[int] = mapped_column(ForeignKey("roster_record.id"), primary_key=True)
    stage: Mapped[int] = mapped_column(SmallInteger)
    """A ``core.domain.states.Stage`` value."""

    __table_args__ = (
        Index("ix_photo_progress_task_stage", "task_id", "stage"),
        Index("ix_photo_progress_record", "roster_record_id", "task_id", "stage"),
    )


def stage_column() -> ColumnElement[int]:
    """``core.domain.states.stage_of`` in SQL, for one submission row (built from it, so the rule
    stays in one place)."""
    reached = {state: stage_of(state, submitted=True) for state in SubmissionState}
    return case(
        *[(Submission.state.in_([s for s, at in reached.items() if at is stage]), int(stage))
          for stage in (Stage.ON_CHSI, Stage.APPROVED)],
        (Submission.submitted_at.is_not(None), int(Stage.SUBMITTED)),
        else_=int(Stage.NONE),
    )


def _furthest(*where: ColumnElement[bool]):
    return (select(Submission.task_id, Submission.roster_record_id, func.max(stage_column()))
            .where(*where).group_by(Submission.task_id, Submission.roster_record_id))


def _upsert(connection: Connection, rows):
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(PhotoProgress).from_select(["task_id", "roster_record_id", "stage"], rows)
    connection.execute(statement.on_conflict_do_update(
        index_elements=["task_id", "roster_record_id"], set_={"stage": statement.excluded.stage}))


def refresh_progress(connection: Connection, pairs: set[tuple[int, int]]) -> None:
    """Recompute the rows of these (task, roster record) pairs from their submissions."""
    if not pairs:
        return
    key = tuple_(Submission.task_id, Submission.roster_record_id)
    _upsert(connection, _furthest(key.in_(sorted(pairs))))


def rebuild_progress(connection: Connection) -> None:
    connection.execute(delete(PhotoProgress))
    _upsert(connection, _furthest())


_TRACKED = ("state", "submitted_at")
"""What moves a stage; a submission never changes student or task, and is never deleted."""


@event.listens_for(Session, "after_flush")
def _refresh_changed(session: Session, _context: UOWTransaction) -> None:
    pairs = {
        (submission.task_id, submission.roster_record_id)
        for submission in (*session.new, *session.dirty)
        if isinstance(submission, Submission) and (
            submission in session.new
            or any(inspect(submission).attrs[name].history.has_changes() for name in _TRACKED))
    }
    refresh_progress(session.connection(), pairs)

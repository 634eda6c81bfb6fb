"""Builders for the registrar's tests: students with a real collection code, and approved photos
made through the real pipeline (standardise job → submit → review.decide)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from core.domain.access import Actor
from core.domain.enums import Decision, PaymentPurpose
from core.domain.identity import mask_name
from core.imaging.collection_code import CollectionCode, DecodedCode, code_hash, encode_demo_code
from core.models import CollectionTask, RosterRecord, Submission
from core.services import linking, payments, review, submissions
from core.services.schools import TaskView
from core.storage.photos import PhotoStore
from tests.factories import LinkedStudent


def collection_code(record: RosterRecord) -> DecodedCode:
    code = CollectionCode(record.school.code, record.student_number, mask_name(record.name), record.id_last4)
    raw = encode_demo_code(code)
    return DecodedCode(raw=raw, code_hash=code_hash(raw), code=code, error=None)


def linked_with_code(session: Session, task: TaskView | CollectionTask, record: RosterRecord) -> LinkedStudent:
    """Linked with the student's real CHSI collection code (not a temporary shooting code), and paid."""
    account = linking.sign_in(session, f"openid-{record.id}", f"同学{record.id}")
    link = linking.link_account(session, account, task.id, record, code=collection_code(record))
    student = LinkedStudent(account, record, link, task)
    order = payments.open_order(session, student.actor, link, PaymentPurpose.TASK_FEE)
    payments.pay(session, student.actor, order, payments.DevelopmentProvider())
    return student


def standardise(db, store: PhotoStore, student_actor: Actor, link_id: int, photo: Path) -> int:
    """Requests standardisation; the job runs when the session commits (inline in tests)."""
    with db.session() as session:
        submission = submissions.request_standardisation(session, student_actor, link_id, photo.read_bytes(), store)
        return submission.id


def approved_through_pipeline(db, store: PhotoStore, reviewer: Actor, student_actor: Actor, link_id: int,
                              photo: Path) -> int:
    submission_id = standardise(db, store, student_actor, link_id, photo)
    with db.session() as session:
        submitted = submissions.submit(session, student_actor, submission_id)
        assert submitted.state.value == "awaiting_review", (submitted.state, submitted.processing_error)
    with db.session() as session:
        review.decide(session, reviewer, submission_id, Decision.APPROVE)
    return submission_id


def state_of(db, submission_id: int) -> str:
    with db.session() as session:
        return session.get(Submission, submission_id).state.value


def chsi_photo(fixtures_dir: Path, n: int) -> bytes:
    """A 480×640 JPEG cut from a real London portrait, made unique by a JPEG comment (each student's
    photo is different), for tests of batches that need many approved photos but not the pipeline."""
    import io

    from PIL import Image

    portraits = sorted((fixtures_dir / "london").glob("*_neutral.jpg"))
    with Image.open(portraits[n % len(portraits)]) as image:
        width, height = image.size
        crop = height * 3 // 4
        frame = image.convert("RGB").crop(((width - crop) // 2, 0, (width + crop) // 2, height)).resize((480, 640))
        out = io.BytesIO()
        frame.save(out, "JPEG", quality=80, dpi=(300, 300))
    data = out.getvalue()
    comment = f"student {n}".encode()
    return data[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + data[2:]


def approved_photo(session: Session, store: PhotoStore, task: TaskView | CollectionTask, record: RosterRecord,
                   fixtures_dir: Path) -> Submission:
    """An approved submission of ``record`` whose standardised photo is a real 480×640 JPEG."""
    from core.domain.enums import SubmissionState
    from core.models import utcnow

    sha = store.put(chsi_photo(fixtures_dir, record.id))
    submission = Submission(roster_record_id=record.id, task_id=task.id, raw_sha=sha, standardised_sha=sha,
                            thumbnail_sha=sha, state=SubmissionState.APPROVED, attempt_number=1,
                            captured_at=utcnow(), submitted_at=utcnow(), decided_at=utcnow())
    session.add(submission)
    session.flush()
    return submission

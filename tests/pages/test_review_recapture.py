"""The re-photograph flag end to end: a photo of a screen goes through the real pipeline, the
student can still submit it, and the reviewer sees the flag with the suggested reason and decides."""

from __future__ import annotations

import re

from pathlib import Path

import numpy as np
from PIL import Image

from core.domain.enums import Role, SubmissionState
from core.models import ReviewDecision, Submission
from tests import factories as f
from tests.core.imaging.recapture_sim import samples


def test_reviewer_sees_the_rephotograph_flag_and_rejects_with_the_suggested_reason(env, fixtures_dir, app_for,
                                                                                  tmp_path: Path):
    db, store = env
    london = fixtures_dir / "london"
    portrait = np.asarray(Image.open(london / "005_neutral.jpg").convert("RGB"))
    capture = tmp_path / "screen.jpg"
    capture.write_bytes(next(samples([("005_neutral.jpg", portrait)], ["screen"], 12)).jpeg)
    with db.session() as session:
        school = f.make_school(session)
        task = f.make_task(session, school)
        record = f.make_record(session, school, 1)
        f.set_enrolment_photo(session, store, record, london / "005_smiling.jpg")
        session.commit()
        student = f.make_linked_student(session, task, record)
        submission = f.submit_photo(session, store, student, capture)
        assert submission.state is SubmissionState.AWAITING_REVIEW  # the flag blocks nothing
        assert "recapture" in submission.quality_flags.split(",")
        reviewer = f.make_staff(session, Role.REVIEWER, "li.reviewer")
        session.commit()
        submission_id, reviewer_id = submission.id, reviewer.id

    at = app_for(reviewer_id, page="review_queue.py").run()
    assert not at.exception
    flags = [w.value for w in at.warning if "自动提示" in w.value]
    assert len(flags) == 1 and "建议驳回原因「翻拍照片或屏幕」" in flags[0] and "不会自动驳回" in flags[0]
    assert re.search(r"\d\\?\.\d", flags[0]) and not re.search(r"[A-Za-z]{3,}", flags[0]), \
        "the score is read out in Chinese words with its number, not the internal English value"

    at.button(key="rq_reject_rephotographed").click().run()
    assert not at.exception
    with db.session() as session:
        assert session.get(Submission, submission_id).state is SubmissionState.REJECTED
        decision = session.query(ReviewDecision).filter_by(submission_id=submission_id).one()
        assert decision.reason_code == "rephotographed"

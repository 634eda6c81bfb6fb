from __future__ import annotations

from dataclasses import fields

from core.domain.enums import Role
from core.imaging.thresholds import ImagingThresholds
from core.services import policy
from tests import factories as f


def _admin_page(db, app_for):
    with db.session() as session:
        admin = f.make_staff(session, Role.ADMIN, "admin")
    return app_for(admin.id, page="admin_policy.py").run()


def test_admin_changes_a_limit_and_sees_it_in_the_history(db, app_for):
    at = _admin_page(db, app_for)
    assert not at.exception
    assert at.number_input(key="policy_daily_standardisations").value == 5
    at.number_input(key="policy_daily_standardisations").set_value(8)
    at.number_input(key="policy_second_review_rate").set_value(0.1)
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception
    assert at.success[0].value == "已保存 2 项设置。"
    with db.session() as session:
        current = policy.get_policy(session)
        assert (current.daily_standardisations, current.second_review_rate) == (8, 0.1)
    history = at.dataframe[0].value
    assert set(history["设置项"]) == {"每日标准化次数", "二次复核抽样比例"}
    assert set(history["修改人"]) == {"Admin"}
    assert any("默认 5 · Admin 修改于" in c.value for c in at.caption)


def test_inconsistent_face_bands_are_refused_on_the_page(db, app_for):
    at = _admin_page(db, app_for)
    at.number_input(key="policy_face_same_distance").set_value(0.6)
    at.get("form_submit_button")[0].click()
    at.run()
    assert at.error[0].value == "“同一人”阈值不能大于“非同一人”阈值。"
    with db.session() as session:
        assert policy.get_policy(session).face_same_distance is None  # still the calibrated default


def test_quality_limits_are_shown_read_only_with_their_calibration(db, app_for):
    at = _admin_page(db, app_for)
    shown = {name for frame in at.dataframe for name in frame.value["阈值"]}
    assert {"eye_line_range", "max_roll_deg", "max_background_clutter", "same_max_distance"} <= shown
    assert any("London" in m.value for m in at.markdown)



def test_every_quality_limit_is_shown_once_in_its_calibration_group(db, app_for):
    at = _admin_page(db, app_for)
    shown = [name for frame in at.dataframe if "阈值" in frame.value for name in frame.value["阈值"]]
    assert sorted(shown) == sorted(f.name for f in fields(ImagingThresholds))

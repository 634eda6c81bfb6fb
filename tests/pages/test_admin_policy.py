from __future__ import annotations

from dataclasses import fields

from core.domain.enums import Role
from core.imaging.thresholds import ImagingThresholds
from core.imaging.words import LIMIT_NAMES
from core.errors import InvalidInput
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
    assert at.number_input(key="policy_second_review_rate").value == 5.0  # shown in %
    at.number_input(key="policy_second_review_rate").set_value(10.0)
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception
    assert at.success[0].value == "已保存 2 项设置。"
    with db.session() as session:
        current = policy.get_policy(session)
        assert (current.daily_standardisations, current.second_review_rate) == (8, 0.1)
    history = at.dataframe[0].value
    assert set(history["设置项"]) == {"每日标准化次数", "二次复核抽样比例"}
    assert set(history["新值"]) == {"8 次", "10.0%"}
    assert set(history["修改人"]) == {"Admin"}
    assert any("默认 5 次 · Admin 修改于" in c.value for c in at.caption)


def test_settings_are_entered_in_the_units_people_use(db, app_for):
    at = _admin_page(db, app_for)
    price, expiry = at.number_input(key="policy_extra_service_price_fen"), at.number_input(key="policy_claim_expiry_seconds")
    assert (price.value, expiry.value) == (1.0, 5.0)
    assert price.label == "后续服务单价（元）" and expiry.label == "审核领取超时（分钟）"
    price.set_value(1.5)
    expiry.set_value(10.0)
    at.get("form_submit_button")[0].click()
    at.run()
    with db.session() as session:
        current = policy.get_policy(session)
    assert (current.extra_service_price_fen, current.claim_expiry_seconds) == (150, 600)


def test_an_out_of_range_setting_is_refused_in_plain_chinese(db):
    with db.session() as session:
        admin = f.actor_of(f.make_staff(session, Role.ADMIN, "admin"))
        try:
            policy.set_policy_values(session, admin, {"daily_standardisations": 50})
        except InvalidInput as error:
            assert error.message_zh == "每日标准化次数的取值范围是 1 次 至 20 次。"
        else:
            raise AssertionError("50 a day was accepted")
        try:
            policy.set_policy_values(session, admin, {"claim_expiry_seconds": 10})
        except InvalidInput as error:
            assert error.message_zh == "审核领取超时的取值范围是 0.5 分钟 至 60.0 分钟。"
        else:
            raise AssertionError("10 seconds was accepted")


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
    shown = {name for frame in at.dataframe if "阈值" in frame.value for name in frame.value["阈值"]}
    assert {"眼睛距上边缘（像素）", "头部倾斜上限（度）", "背景杂色比例上限", "同一人距离上限（校准值）"} <= shown
    assert any("伦敦人像集" in m.value for m in at.markdown)



def test_every_quality_limit_is_shown_once_in_its_calibration_group(db, app_for):
    at = _admin_page(db, app_for)
    shown = [name for frame in at.dataframe if "阈值" in frame.value for name in frame.value["阈值"]]
    assert sorted(shown) == sorted(LIMIT_NAMES[f.name] for f in fields(ImagingThresholds))

"""Progress, chase list and batches pages on the real app, as a registrar and as an admin."""

from __future__ import annotations

from sqlalchemy import select

from core.domain.enums import Decision, Role, SubmissionState
from core.models import Submission, UploadBatch, utcnow
from core.services import review
from core.services.chase import ChaseReason
from tests import factories as f


def setup(db):
    with db.session() as session:
        a = f.make_school(session, "10486", "武汉大学")
        b = f.make_school(session, "10487", "华中科技大学")
        task = f.make_task(session, a)
        f.make_task(session, b, title="华科2025届采集")
        reviewer = f.actor_of(f.make_staff(session, Role.REVIEWER, "li.reviewer"))
        records = [f.make_record(session, a, i, name=n, department="计算机学院", class_name="1班")
                   for i, n in enumerate(["丁白云", "张三", "李四"])]
        f.make_record(session, b, 60, name="外校学生")
        student = f.make_linked_student(session, task, records[0])
        f.make_linked_student(session, task, records[1], paid=False)
        submission = Submission(roster_record_id=student.record.id, task_id=task.id, account_id=student.account.id,
                                raw_sha="0" * 64, state=SubmissionState.AWAITING_REVIEW, submitted_at=utcnow())
        session.add(submission)
        session.flush()
        review.decide(session, reviewer, submission.id, Decision.REJECT, reason_code="blurred")
        registrar = f.make_staff(session, Role.REGISTRAR, "reg.whu", school=a)
        admin = f.make_staff(session, Role.ADMIN, "admin")
        return registrar.id, admin.id


def test_registrar_progress_shows_their_school_funnel_and_charts(db, app_for):
    registrar, _ = setup(db)
    at = app_for(registrar, page="progress.py").run()
    assert not at.exception
    assert at.title[0].value == "采集进度"
    charts = at.get("plotly_chart")
    assert len(charts) == 4  # funnel, trend, reasons, category
    assert {m.label: m.value for m in at.metric}["完成率（审核通过）"] == "0.0%"
    [task_choice] = at.selectbox  # no school to choose: a registrar has only their own
    assert task_choice.options == ["全部任务", "2025届毕业生学历图像采集（普通本专科 · 2025届）"]
    assert not any("华中科技大学" in str(d.value) for d in at.dataframe)


def test_admin_progress_has_the_school_table_least_complete_first(db, app_for):
    _, admin = setup(db)
    at = app_for(admin, page="progress.py").run()
    assert not at.exception
    schools = at.dataframe[-1].value
    assert list(schools.iloc[:, 0]) == ["武汉大学（10486）", "华中科技大学（10487）"]
    assert list(schools.iloc[:, 1]) == [3, 1]


def test_chase_list_filters_and_offers_both_exports(db, app_for):
    registrar, _ = setup(db)
    at = app_for(registrar, page="chase_list.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert dict(zip(table.iloc[:, 0], table.iloc[:, 5], strict=True)) == {
        "丁白云": "审核未通过未重拍", "张三": "未支付", "李四": "未关联任务"}
    assert set(table.iloc[:, 2]) == {"****" + f.id_number(i)[-4:] for i in range(3)}
    assert not at.get("download_button")  # made on request: the export is audited when it is made
    at.button(key="chase_xlsx_prepare").click().run()
    at.button(key="chase_csv_prepare").click().run()
    assert not at.exception
    assert [b.proto.label for b in at.get("download_button")] == ["下载 Excel", "下载 CSV"]
    at.multiselect(key="chase_reasons").select(ChaseReason.NOT_PAID).run()
    assert list(at.dataframe[0].value.iloc[:, 0]) == ["张三"]


def test_batches_page_lists_nothing_to_build_without_approved_photos(db, app_for):
    registrar, _ = setup(db)
    at = app_for(registrar, page="batches.py").run()
    assert not at.exception
    assert at.button(key="build_batch").disabled
    with db.session() as session:
        assert session.scalar(select(UploadBatch.id)) is None


def test_batches_page_builds_exports_and_imports_the_result(env, app_for, fixtures_dir):
    from tests.core.services import registrar_world as w

    db, store = env
    with db.session() as session:
        school = f.make_school(session, "10486", "武汉大学")
        task = f.make_task(session, school)
        reviewer = f.actor_of(f.make_staff(session, Role.REVIEWER, "li.reviewer"))
        registrar = f.make_staff(session, Role.REGISTRAR, "reg.whu", school=school)
        records = [f.make_record(session, school, i, name=n) for i, n in enumerate(["丁白云", "张三"])]
        people = [(s.actor, s.link.id) for s in (w.linked_with_code(session, task, r) for r in records)]
        ids = [r.id_number for r in records]
    for (actor, link_id), photo in zip(people, ("001_neutral.jpg", "003_neutral.jpg"), strict=True):
        w.approved_through_pipeline(db, store, reviewer, actor, link_id, fixtures_dir / "london" / photo)

    at = app_for(registrar.id, page="batches.py").run()
    assert not at.exception
    assert any("可打包 2 张" in c.value for c in at.caption)
    at.button(key="build_batch").click().run()
    assert not at.exception
    at.button(key="export_package").click().run()
    assert not at.exception
    assert at.button(key="export_package").label == "再次导出（与首次完全一致）"
    with db.session() as session:
        batch = session.scalar(select(UploadBatch))
        assert batch.status.value == "exported" and batch.package_sha256
    result = f"文件名,结果,失败原因\n{ids[0]}.jpg,成功,\n{ids[1]}.jpg,失败,照片模糊\n".encode("gbk")
    at.file_uploader(key="result_file").set_value(("结果.csv", result, "text/csv")).run()
    at.button(key="import_result").click().run()
    assert not at.exception
    assert any("已上网 1 人" in s.value and "上网失败 1 人" in s.value for s in at.success)
    assert any("可打包 1 张" in c.value for c in at.caption)  # the failed photo is back in the list


def test_chase_list_search_takes_wildcards_literally_and_refuses_hostile_text_clearly(db, app_for):
    registrar, _ = setup(db)
    at = app_for(registrar, page="chase_list.py").run()
    at.text_input(key="chase_search").input("%").run()
    assert not at.exception and not at.dataframe, "% matches itself, not every student"
    assert at.success[0].value == "没有需要催办的学生。"
    at.text_input(key="chase_search").input("张\x00三").run()
    assert not at.exception
    assert "搜索" in at.error[0].value and "控制字符" in at.error[0].value
    at.text_input(key="chase_search").input("张三").run()
    assert list(at.dataframe[0].value.iloc[:, 0]) == ["张三"]

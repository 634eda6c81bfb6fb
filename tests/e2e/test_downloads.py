"""Downloads clicked twice in quick succession, in Chromium (issue 13, finding 6). With a deferred
download (a callable), the second click of a pair 50-300 ms apart failed ("MediaFileStorageError:
Deferred file … not found") and its file never arrived. Every click must now bring its file: the
chase list, the CHSI package and the manifest."""

from __future__ import annotations

import io
import time
import zipfile

from openpyxl import load_workbook

from core.domain.enums import Role
from tests import factories as f
from tests.core.services import registrar_world as w
from tests.e2e.conftest import login, screenshot, settled

GAPS = (0.05, 0.15, 0.3)
"""Seconds between the two clicks of each pair: the window in which the old button failed."""


def seeder(fixtures_dir):
    def seed(session, store):
        school = f.make_school(session)
        task = f.make_task(session, school)
        for n, name in enumerate(("丁白云", "张三", "李四")):
            record = f.make_record(session, school, n + 1, name=name)
            w.approved_photo(session, store, task, record, fixtures_dir)
        for n in range(3):
            f.make_record(session, school, 10 + n, name=f"未关联{n}")
        f.make_staff(session, Role.REGISTRAR, "reg.whu", school=school)

    return seed


def click_pairs(page, button, downloads: list) -> list[bytes]:
    """Clicks ``button`` twice per gap and returns every file that arrived. Each pair starts once
    the previous pair's two files arrived, so no pair runs into another."""
    before = len(downloads)
    for pair, gap in enumerate(GAPS, start=1):
        button.click()
        time.sleep(gap)
        button.click()
        deadline = time.time() + 30
        while len(downloads) < before + 2 * pair and time.time() < deadline:
            page.wait_for_timeout(50)
        arrived = len(downloads) - before
        assert arrived == 2 * pair, f"{arrived} of {2 * pair} downloads arrived (gap {gap} s)"
    return [open(d.path(), "rb").read() for d in downloads[before:]]


def test_every_click_of_a_quick_double_click_downloads_the_file(live_app, page, fixtures_dir):
    app = live_app(seeder(fixtures_dir), worker=False)  # every file is built by the page itself
    downloads: list = []
    page.on("download", lambda download: downloads.append(download))
    login(page, app.url, "reg.whu", f.PASSWORD)

    page.get_by_role("link", name="催办名单").click()
    page.get_by_text("共 6 人需要催办").wait_for()
    page.get_by_role("button", name="导出 Excel").click()
    chase = page.get_by_role("button", name="下载 Excel")
    chase.wait_for()
    settled(page)
    for data in click_pairs(page, chase, downloads):
        rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
        assert len(rows) == 7 and rows[0][0] == "姓名"

    page.get_by_role("link", name="上网批次").click()
    page.get_by_text("可打包 3 张").wait_for()
    page.get_by_role("button", name="生成上网批次").click()
    page.get_by_text("批次导出后不可再修改").wait_for()
    page.get_by_role("button", name="导出上传包").click()
    package = page.get_by_role("button", name="下载上传包")
    package.wait_for()
    settled(page)
    packages = click_pairs(page, package, downloads)
    assert len(set(packages)) == 1
    with zipfile.ZipFile(io.BytesIO(packages[0])) as archive:
        names = archive.namelist()
        assert len([n for n in names if n.endswith(".jpg")]) == 3 and sum(n.endswith("-清单.csv") for n in names) == 1

    page.get_by_role("button", name="生成清单 Excel").click()
    manifest = page.get_by_role("button", name="下载清单 Excel")
    manifest.wait_for()
    settled(page)
    manifests = click_pairs(page, manifest, downloads)
    assert len(set(manifests)) == 1  # byte-identical every time
    assert len(list(load_workbook(io.BytesIO(manifests[0])).active.iter_rows())) == 4
    screenshot(page, "downloads_batches")

"""The imaging command line: one JSON line per input, exit 0 when the inputs were processed."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from core.imaging.cli import main
from core.imaging.code_image import render_code_png
from core.imaging.collection_code import CollectionCode, encode_demo_code

PROJECT_ROOT = Path(__file__).resolve().parents[3]
CHECK_KEYS = {"code", "passed", "value", "message_zh", "message_en"}


def run(argv: list[str]) -> tuple[int, list[dict]]:
    out = io.StringIO()
    code = main(argv, out=out)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


# --- code decode ---------------------------------------------------------------------------


def test_code_decode_reads_each_image(tmp_path: Path) -> None:
    payload = encode_demo_code(CollectionCode("10487", "2021012345", "丁*云", "123X"))
    code_png = tmp_path / "code.png"
    code_png.write_bytes(render_code_png(payload))
    blank = tmp_path / "blank.png"
    Image.new("RGB", (300, 300), "white").save(blank)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")

    status, lines = run(["code", "decode", str(code_png), str(blank), str(broken), str(tmp_path / "missing.png")])

    assert status == 0
    assert [line["input"] for line in lines] == [str(code_png), str(blank), str(broken), str(tmp_path / "missing.png")]
    assert lines[0] == {"input": str(code_png), "text": payload.decode("utf-8"), "error": None}
    assert lines[1]["text"] is None and "collection code" in lines[1]["error"]
    assert lines[2]["text"] is None and "JPEG" in lines[2]["error"]
    assert lines[3]["text"] is None and "Cannot read" in lines[3]["error"]


# --- usage errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["photo"],
        ["photo", "standardise", "x.jpg"],  # --out-dir missing
        ["photo", "standardise", "x.jpg", "--out-dir", "o", "--background", "pink"],
        ["photo", "check"],
        ["code", "decode"],
        ["photo", "compare"],
        ["video", "x"],
    ],
)
def test_usage_errors_exit_non_zero(argv: list[str]) -> None:
    status, lines = run(argv)
    assert status != 0
    assert lines == []


def test_out_dir_that_cannot_be_made_is_a_usage_error(tmp_path: Path, london_dir: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    status, lines = run(["photo", "standardise", str(london_dir / "003_neutral.jpg"), "--out-dir", str(blocker / "out")])
    assert status != 0 and lines == []


def test_compare_without_its_pairs_file_is_a_usage_error(tmp_path: Path) -> None:
    assert run(["photo", "compare", "--pairs", str(tmp_path / "none.csv")])[0] != 0
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("left,right\nx.jpg,y.jpg\n")
    assert run(["photo", "compare", "--pairs", str(wrong)])[0] != 0


# --- photo standardise / check / compare ---------------------------------------------------


def test_standardise_many_inputs_in_one_call(tmp_path: Path, london_dir: Path, edge_cases_dir: Path) -> None:
    inputs = [
        london_dir / "003_neutral.jpg",
        edge_cases_dir / "two_faces.jpg",
        london_dir / "027_neutral.jpg",
        tmp_path / "empty.jpg",
    ]
    inputs[3].write_bytes(b"")
    out_dir = tmp_path / "out"

    status, lines = run(["photo", "standardise", *map(str, inputs), "--out-dir", str(out_dir)])

    assert status == 0
    assert [line["input"] for line in lines] == [str(p) for p in inputs]
    for line in lines:
        assert {"input", "output", "ok", "checks", "error"} <= set(line)
        for check in line["checks"]:
            assert set(check) >= CHECK_KEYS
    good, two, other, empty = lines
    assert good["ok"] is True and good["error"] is None
    assert Path(good["output"]) == out_dir / "003_neutral.jpg"
    with Image.open(good["output"]) as photo:
        assert photo.size == (480, 640)
    assert all(check["passed"] for check in good["checks"])
    assert two["ok"] is False and two["output"] is None
    assert [c["code"] for c in two["checks"] if not c["passed"]] == ["face_count"]
    assert "2" in two["error"]
    assert other["ok"] is True and Path(other["output"]).is_file()
    assert empty["ok"] is False and empty["output"] is None and "empty" in empty["error"]
    assert sorted(p.name for p in out_dir.iterdir()) == ["003_neutral.jpg", "027_neutral.jpg"]


def test_standardise_white_background_and_same_stems(tmp_path: Path, faces_dir: Path) -> None:
    inputs = [faces_dir / "obama" / "1.jpg", faces_dir / "biden" / "2.jpg"]
    status, lines = run(["photo", "standardise", *map(str, inputs), "--out-dir", str(tmp_path), "--background", "white"])
    assert status == 0
    assert [Path(line["output"]).name for line in lines] == ["1.jpg", "2.jpg"]
    with Image.open(lines[0]["output"]) as photo:
        assert photo.convert("RGB").getpixel((5, 5)) == pytest.approx((255, 255, 255), abs=3)


def test_check_reports_on_standardised_and_raw_photos(tmp_path: Path, london_dir: Path) -> None:
    status, lines = run(["photo", "standardise", str(london_dir / "005_neutral.jpg"), "--out-dir", str(tmp_path)])
    standardised = lines[0]["output"]
    status, lines = run(["photo", "check", standardised, str(london_dir / "005_neutral.jpg")])
    assert status == 0
    done, raw = lines
    assert done["input"] == standardised and done["ok"] is True and done["error"] is None
    assert {"input", "ok", "checks", "error"} <= set(raw)
    assert raw["ok"] is False
    failed = {c["code"] for c in raw["checks"] if not c["passed"]}
    assert {"dimensions", "file_size"} <= failed


def test_compare_one_verdict_per_row(tmp_path: Path, faces_dir: Path, london_dir: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    with pairs.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["a", "b"])
        writer.writerow([faces_dir / "obama" / "1.jpg", faces_dir / "obama" / "3.jpg"])
        writer.writerow([faces_dir / "obama" / "1.jpg", london_dir / "003_neutral.jpg"])
        writer.writerow([faces_dir / "obama" / "1.jpg", faces_dir / "edge_cases" / "two_faces.jpg"])
    status, lines = run(["photo", "compare", "--pairs", str(pairs)])
    assert status == 0
    assert len(lines) == 3
    same, different, refused = lines
    assert same["verdict"] == "same" and same["error"] is None
    assert different["verdict"] == "different"
    assert same["distance"] < different["distance"]
    assert same["similarity"] > different["similarity"]
    assert refused["verdict"] is None and refused["distance"] is None
    assert refused["error"].startswith("b:")


def test_python_dash_m_core_entry_point(tmp_path: Path, london_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "core", "photo", "standardise", str(london_dir / "070_neutral.jpg"),
         "--out-dir", str(tmp_path)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 1 and lines[0]["ok"] is True
    assert (tmp_path / "070_neutral.jpg").is_file()
    usage = subprocess.run([sys.executable, "-m", "core", "photo", "check"], cwd=PROJECT_ROOT,
                           capture_output=True, text=True, timeout=120)
    assert usage.returncode == 2 and usage.stdout == ""

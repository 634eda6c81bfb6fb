"""The imaging command line: many inputs per call, one JSON line per input on stdout.

    python -m core photo standardise IN... --out-dir DIR [--background blue|white|grey]
    python -m core photo check IMG...
    python -m core photo compare --pairs PAIRS.csv
    python -m core code decode IMG...

Every line names its input and holds the result or the error, so a batch never stops at a bad
file: the exit code is 0 whenever the inputs were processed (a photo failing its checks
included) and 2 only for a usage error.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from core.imaging.errors import REFUSAL_CODES, ImageLoadError, ImagingError
from core.imaging.standard import Background
from core.imaging.types import QualityReport

USAGE_ERROR = 2


def main(argv: list[str], out: TextIO | None = None) -> int:
    """Run one command; ``argv`` starts with ``photo`` or ``code``."""
    stream = out or sys.stdout
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) and USAGE_ERROR
    if args.command == "compare":
        pairs = Path(args.pairs)
        if not pairs.is_file():
            print(f"error: pairs file not found: {pairs}", file=sys.stderr)
            return USAGE_ERROR
        try:
            rows = _read_pairs(pairs)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return USAGE_ERROR
        _emit(stream, compare_pairs(rows))
        return 0
    if args.command == "standardise":
        out_dir = Path(args.out_dir)
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            print(f"error: cannot create --out-dir {out_dir}: {exc.strerror}", file=sys.stderr)
            return USAGE_ERROR
        _emit(stream, standardise_files(args.inputs, out_dir, Background(args.background)))
    elif args.command == "check":
        _emit(stream, check_files(args.inputs))
    elif args.command == "decode":
        _emit(stream, decode_files(args.inputs))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="CHSI photo imaging")
    groups = parser.add_subparsers(dest="group", required=True)
    photo = groups.add_parser("photo", help="standardise, check and compare portraits")
    photo_commands = photo.add_subparsers(dest="command", required=True)
    standardise = photo_commands.add_parser("standardise", help="make CHSI 480x640 JPEGs")
    standardise.add_argument("inputs", nargs="+", metavar="IN")
    standardise.add_argument("--out-dir", required=True)
    standardise.add_argument(
        "--background", choices=[b.value for b in Background], default=Background.BLUE.value
    )
    check = photo_commands.add_parser("check", help="quality report of standardised photos")
    check.add_argument("inputs", nargs="+", metavar="IMG")
    compare = photo_commands.add_parser("compare", help="same person or not, per CSV row")
    compare.add_argument(
        "--pairs", required=True,
        help="CSV with columns a,b (photo paths; relative ones are read from the CSV's folder)",
    )
    code = groups.add_parser("code", help="CHSI collection codes")
    code_commands = code.add_subparsers(dest="command", required=True)
    decode = code_commands.add_parser("decode", help="read collection-code images")
    decode.add_argument("inputs", nargs="+", metavar="IMG")
    return parser


def standardise_files(inputs: Iterable[str], out_dir: Path, background: Background) -> Iterable[dict[str, Any]]:
    from core.imaging.pipeline import process_capture

    used: set[str] = set()
    for name in inputs:
        line: dict[str, Any] = {"input": name, "output": None, "ok": False, "checks": [], "error": None}
        data = _read(name, line)
        if data is not None:
            result = process_capture(data, background=background)
            line.update(ok=result.ok, checks=result.report.to_list(), error=result.error)
            if result.standardised_jpeg is not None:
                target = _output_path(out_dir, Path(name), used)
                try:
                    target.write_bytes(result.standardised_jpeg)
                except OSError as exc:
                    line.update(ok=False, error=f"无法写入 {target}：{exc.strerror} / Cannot write {target}: {exc.strerror}")
                else:
                    line["output"] = str(target)
        yield line


def check_files(inputs: Iterable[str]) -> Iterable[dict[str, Any]]:
    from core.imaging.pipeline import check_standardised

    for name in inputs:
        line: dict[str, Any] = {"input": name, "ok": False, "checks": [], "error": None}
        data = _read(name, line)
        if data is not None:
            report = check_standardised(data)
            line.update(ok=report.ok, checks=report.to_list(), error=_refusal(report))
        yield line


def compare_pairs(rows: Iterable[tuple[str, str]]) -> Iterable[dict[str, Any]]:
    from core.imaging.compare import compare
    from core.imaging.pipeline import process_enrolment
    from core.imaging.thresholds import DEFAULT_THRESHOLDS

    embeddings: dict[str, np.ndarray | ImagingError] = {}

    def embedding(path: str) -> np.ndarray:
        if path not in embeddings:
            try:
                embeddings[path] = process_enrolment(_read_bytes(path)).embedding
            except ImagingError as refusal:
                embeddings[path] = refusal
        found = embeddings[path]
        if isinstance(found, ImagingError):
            raise found
        return found

    for a, b in rows:
        line: dict[str, Any] = {"a": a, "b": b, "distance": None, "similarity": None, "verdict": None, "error": None}
        try:
            result = compare(embedding(a), embedding(b), DEFAULT_THRESHOLDS)
        except ImagingError as refusal:
            which = "a" if isinstance(embeddings.get(a), ImagingError) else "b"
            line["error"] = f"{which}: {refusal}"
        else:
            line.update(distance=result.distance, similarity=result.similarity, verdict=result.verdict.value)
        yield line


def decode_files(inputs: Iterable[str]) -> Iterable[dict[str, Any]]:
    from core.imaging.collection_code import decode_collection_code
    from core.imaging.loading import load_image

    for name in inputs:
        line: dict[str, Any] = {"input": name, "text": None, "error": None}
        data = _read(name, line)
        if data is not None:
            try:
                decoded = decode_collection_code(load_image(data).rgb)
            except ImagingError as refusal:
                line["error"] = str(refusal)
            else:
                line["text"] = decoded.text
                if decoded.error is not None:
                    line["error"] = f"{decoded.error.message_zh} / {decoded.error.message_en}"
        yield line


def _read_pairs(path: Path) -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"a", "b"} <= set(reader.fieldnames):
            raise ValueError(f"{path} needs the columns a,b")
        return [(_beside(path, row["a"]), _beside(path, row["b"])) for row in reader]


def _beside(csv_path: Path, name: str) -> str:
    candidate = Path(name.strip())
    return str(candidate if candidate.is_absolute() else csv_path.parent / candidate)


def _read(name: str, line: dict[str, Any]) -> bytes | None:
    """The file's bytes, or None with the error written into ``line``."""
    try:
        return _read_bytes(name)
    except ImagingError as refusal:
        line["error"] = str(refusal)
        return None


def _read_bytes(name: str) -> bytes:
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise ImageLoadError(f"无法读取文件：{exc.strerror}。", f"Cannot read the file: {exc.strerror}.") from exc


def _refusal(report: QualityReport) -> str | None:
    refusals = [c for c in report.checks if c.code in REFUSAL_CODES and not c.passed]
    return f"{refusals[0].message_zh} / {refusals[0].message_en}" if refusals else None


def _output_path(out_dir: Path, source: Path, used: set[str]) -> Path:
    """``<stem>.jpg`` in ``out_dir``; inputs sharing a stem get ``<stem>_2.jpg``, ``_3`` … in order."""
    stem, n = source.stem, 1
    name = f"{stem}.jpg"
    while name in used:
        n += 1
        name = f"{stem}_{n}.jpg"
    used.add(name)
    return out_dir / name


def _emit(stream: TextIO, lines: Iterable[dict[str, Any]]) -> None:
    for line in lines:
        stream.write(json.dumps(line, ensure_ascii=False, default=_plain) + "\n")
        stream.flush()


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


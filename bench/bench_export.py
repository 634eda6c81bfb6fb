"""Exporting a CHSI batch of 10 000 photos (target: ≥ 200 photos/s, flat memory).

Run from the project root::

    .venv/bin/python -m bench.bench_export [--photos 10000] [--url sqlite:///…|postgresql+psycopg://…]

The photos are real 480×640 JPEGs cut from ``../shared/fixtures/london`` (each made unique by a
JPEG comment, as every student's photo is), stored in a fresh photo store; the approved
submissions are written straight into a fresh database. The bench builds the batch, streams the
ZIP to a file, exports it again (must be byte-identical), and samples the process's resident
memory every 10 ms: "flat" means the peak during export grows by far less than the package size.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from core.config import fixtures_dir  # noqa: E402
from core.db import Database  # noqa: E402
from core.domain.access import Actor  # noqa: E402
from core.domain.enums import ActorKind, EducationCategory, Role, SubmissionState  # noqa: E402
from core.models import Base, CollectionTask, RosterRecord, School, Submission, utcnow  # noqa: E402
from core.services import batches  # noqa: E402
from core.storage.photos import LocalPhotoStore, PhotoStore  # noqa: E402

TARGET_PHOTOS_PER_SECOND = 200
FIXTURES = fixtures_dir("london")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class PeakMemory:
    """Samples resident memory in a thread while the block runs."""

    def __enter__(self) -> PeakMemory:
        self.start = rss_mb()
        self.peak = self.start
        self._running = True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while self._running:
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.01)

    def __exit__(self, *_: object) -> None:
        self._running = False
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


def base_photos() -> list[bytes]:
    """480×640 JPEGs cut from the fixture portraits (centre crop, resized)."""
    photos = []
    for path in sorted(FIXTURES.glob("*_neutral.jpg")):
        with Image.open(path) as image:
            width, height = image.size
            crop_width = height * 3 // 4
            left = (width - crop_width) // 2
            frame = image.convert("RGB").crop((left, 0, left + crop_width, height)).resize((480, 640))
            out = io.BytesIO()
            frame.save(out, "JPEG", quality=80, dpi=(300, 300))
            photos.append(out.getvalue())
    return photos


def unique(photo: bytes, n: int) -> bytes:
    comment = f"bench photo {n}".encode()
    return photo[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + photo[2:]


def populate(database: Database, store: PhotoStore, count: int) -> tuple[int, Actor]:
    bases = base_photos()
    today = utcnow().date()
    with database.session() as session:
        school = School(code="10486", name="武汉大学")
        session.add(school)
        session.flush()
        task = CollectionTask(school_id=school.id, category=EducationCategory.REGULAR, cohort="2025届", title="bench",
                              opens_on=today - timedelta(days=30), closes_on=today + timedelta(days=30), price_fen=2500)
        session.add(task)
        session.flush()
        for n in range(count):
            id_number = f"420106{n:011d}X"
            sha = store.put(unique(bases[n % len(bases)], n))
            session.add(RosterRecord(id=n + 1, school_id=school.id, name=f"学生{n}", student_number=f"{n:010d}",
                                     id_number=id_number, id_last4=id_number[-4:],
                                     category=EducationCategory.REGULAR, cohort="2025届"))
            session.add(Submission(roster_record_id=n + 1, task_id=task.id, raw_sha=sha, standardised_sha=sha,
                                   state=SubmissionState.APPROVED, submitted_at=utcnow(), decided_at=utcnow()))
        task_id = task.id
        actor = Actor(kind=ActorKind.STAFF, id=None, name="bench registrar", role=Role.REGISTRAR, school_id=school.id)
    return task_id, actor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=10_000)
    parser.add_argument("--url", default=None, help="database URL (default: a SQLite file in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        database = Database(args.url or f"sqlite:///{work / 'bench.db'}")
        Base.metadata.drop_all(database.engine)
        Base.metadata.create_all(database.engine)
        store = LocalPhotoStore(work / "photos")
        start = time.perf_counter()
        task_id, actor = populate(database, store, args.photos)
        print(f"{args.photos:,} approved photos prepared in {time.perf_counter() - start:.1f} s "
              f"({store.total_bytes() / 1e6:.0f} MB in the store)", flush=True)

        start = time.perf_counter()
        with database.session() as session:
            batch_id = batches.build_batch(session, actor, task_id, store).id
        print(f"build:     {time.perf_counter() - start:6.1f} s", flush=True)

        runs = []
        for attempt in ("first", "again"):
            target = work / f"{attempt}.zip"
            with PeakMemory() as memory, database.session() as session, target.open("wb") as out:
                start = time.perf_counter()
                sha = batches.write_package(session, actor, batch_id, store, out)
                seconds = time.perf_counter() - start
            size = target.stat().st_size
            rate = args.photos / seconds
            with target.open("rb") as written:
                runs.append((sha, hashlib.file_digest(written, "sha256").hexdigest()))
            print(f"export ({attempt}): {seconds:6.1f} s = {rate:7.0f} photos/s (target ≥ {TARGET_PHOTOS_PER_SECOND})"
                  f"  {'OK' if rate >= TARGET_PHOTOS_PER_SECOND else 'UNDER TARGET'};  package {size / 1e6:.0f} MB;  "
                  f"RSS {memory.start:.0f} MB → peak {memory.peak:.0f} MB (+{memory.peak - memory.start:.0f} MB, "
                  f"{(memory.peak - memory.start) / (size / 1e6):.1%} of the package)", flush=True)
            target.unlink()
        identical = runs[0] == runs[1] and runs[0][0] == runs[0][1]
        print(f"re-export byte-identical: {'yes' if identical else 'NO'}  (SHA-256 {runs[0][0][:16]}…)")
        database.dispose()


if __name__ == "__main__":
    main()

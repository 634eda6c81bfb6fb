"""Staff sign-in timing: an unknown user name, a known one with a wrong password, and the right
password must cost the same (target: the unknown name within ±25 % of the wrong password's
median, and at least one argon2 verification). Before the dummy hash an unknown name answered in
~2 ms against ~430 ms, which told anyone which names exist.

Run from the project root::

    .venv/bin/python -m bench.bench_login [--runs 15] [--url sqlite:///…|postgresql+psycopg://…]

Each kind of attempt runs ``--runs`` times, interleaved so the three share the machine's load,
each from its own address so throttling never steps in; medians are reported.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from argon2 import PasswordHasher  # noqa: E402
from sqlalchemy import select  # noqa: E402

from core.db import Database  # noqa: E402
from core.domain.access import Actor  # noqa: E402
from core.domain.enums import Role  # noqa: E402
from core.models import StaffUser  # noqa: E402
from core.services import staff  # noqa: E402

PASSWORD = "Bench2025pw"
TOLERANCE = 0.25


def attempt(db: Database, username: str, password: str, address: str) -> float:
    start = time.perf_counter()
    with db.session() as session:
        staff.authenticate(session, username, password, address=address)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--url", default=None, help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/bench_login.db"
    db = Database(url)
    db.migrate()
    with db.session() as session:
        if session.scalar(select(StaffUser.id).where(StaffUser.username == "bench.user")) is None:
            staff.create_staff(session, Actor.system("bench"), username="bench.user", display_name="Bench",
                               role=Role.REVIEWER, password=PASSWORD, must_change_password=False)
    verify, unknown, wrong, right = [], [], [], []
    hasher = PasswordHasher()  # argon2-cffi's defaults, as staff.hash_password uses
    hashed = hasher.hash(PASSWORD)
    for i in range(args.runs):
        start = time.perf_counter()
        hasher.verify(hashed, PASSWORD)
        verify.append(time.perf_counter() - start)
        unknown.append(attempt(db, f"nobody.{i}.{time.time_ns()}", PASSWORD, f"192.0.2.{i % 250}"))
        wrong.append(attempt(db, "bench.user", "Wrong2025pw", f"198.51.100.{i % 250}"))
        right.append(attempt(db, "bench.user", PASSWORD, f"203.0.113.{i % 250}"))
    argon2, u, w, r = (statistics.median(x) * 1000 for x in (verify, unknown, wrong, right))
    print(f"database: {db.dialect}, {args.runs} runs each, medians")
    print(f"argon2 verification alone      {argon2:7.1f} ms")
    print(f"unknown user name              {u:7.1f} ms")
    print(f"known name, wrong password     {w:7.1f} ms")
    print(f"known name, right password     {r:7.1f} ms")
    ok = abs(u - w) <= TOLERANCE * w and u >= 0.9 * argon2
    print(f"target: unknown within ±{TOLERANCE:.0%} of wrong-password and ≥ one argon2 verification: "
          f"{'met' if ok else 'NOT MET'} (unknown/wrong = {u / w:.2f})")
    db.dispose()


if __name__ == "__main__":
    main()

"""A content-addressed photo store on a local folder.

A photo's name is the SHA-256 of its bytes, so the same photo is stored once, a name can never
point at other bytes, and a file damaged on disk is detected when read. Writes go to a temporary
file first and are renamed into place, so a crash never leaves half a photo under a valid name.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from enum import Enum
from pathlib import Path

from core.errors import DomainError, NotFound


class CorruptPhoto(DomainError):
    code = "corrupt_photo"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class PhotoState(str, Enum):
    """What a check of one stored photo found."""

    OK = "ok"
    MISSING = "missing"
    DAMAGED = "damaged"
    """The file is there but its bytes no longer hash to its name."""

    @property
    def label_zh(self) -> str:
        return {"ok": "正常", "missing": "文件缺失", "damaged": "文件已损坏（校验和不符）"}[self.value]

    @property
    def label_en(self) -> str:
        return {"ok": "fine", "missing": "file missing", "damaged": "file damaged (checksum mismatch)"}[self.value]


_NAME = re.compile(r"[0-9a-f]{64}")


class PhotoStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path_of(self, sha: str) -> Path:
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise NotFound("照片编号无效。", f"Invalid photo id {sha!r}.")
        return self.root / sha[:2] / sha[2:4] / sha

    def put(self, data: bytes) -> str:
        sha = sha256_hex(data)
        target = self.path_of(sha)
        if target.exists():
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def get(self, sha: str) -> bytes:
        path = self.path_of(sha)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise NotFound("照片文件不存在。", f"Photo {sha[:12]} is missing from the store.") from None
        if sha256_hex(data) != sha:
            raise CorruptPhoto(
                "照片文件已损坏（校验和不符）。",
                f"Photo {sha[:12]} is damaged on disk (checksum mismatch).",
            )
        return data

    def exists(self, sha: str) -> bool:
        return self.path_of(sha).exists()

    def iter_chunks(self, sha: str, chunk_size: int = 1 << 16) -> Iterator[bytes]:
        """Streams a photo without holding it whole, verifying the checksum at the end."""
        digest = hashlib.sha256()
        with self.path_of(sha).open("rb") as fh:
            while chunk := fh.read(chunk_size):
                digest.update(chunk)
                yield chunk
        if digest.hexdigest() != sha:
            raise CorruptPhoto("照片文件已损坏（校验和不符）。", f"Photo {sha[:12]} is damaged on disk.")

    def check(self, sha: str, chunk_size: int = 1 << 16) -> PhotoState:
        """Reads the whole file and compares its hash with its name."""
        digest = hashlib.sha256()
        try:
            with self.path_of(sha).open("rb") as fh:
                while chunk := fh.read(chunk_size):
                    digest.update(chunk)
        except FileNotFoundError:
            return PhotoState.MISSING
        return PhotoState.OK if digest.hexdigest() == sha else PhotoState.DAMAGED

    def names(self) -> Iterator[str]:
        """Every photo in the store, in sorted order (the folders are the name's first characters)."""
        for first in sorted(p for p in self.root.iterdir() if p.is_dir()):
            for second in sorted(p for p in first.iterdir() if p.is_dir()):
                for path in sorted(second.iterdir()):
                    if _NAME.fullmatch(path.name) and path.name.startswith(first.name + second.name):
                        yield path.name

    def stray_files(self) -> Iterator[Path]:
        """Files that are not photos: half-written ``.incoming-`` files a crash left, anything else."""
        for path in self.root.rglob("*"):
            if path.is_file() and not (_NAME.fullmatch(path.name) and self.path_of(path.name) == path):
                yield path

    def total_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())


_default: PhotoStore | None = None


def default_photo_store() -> PhotoStore:
    global _default
    if _default is None:
        from core.config import settings

        _default = PhotoStore(settings().photo_store)
    return _default

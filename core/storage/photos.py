"""A content-addressed photo store on a local folder.

A photo's name is the SHA-256 of its bytes, so the same photo is stored once, a name can never
point at other bytes, and a file damaged on disk is detected when read. Writes go to a temporary
file first and are renamed into place, so a crash never leaves half a photo under a valid name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from core.errors import DomainError, NotFound


class CorruptPhoto(DomainError):
    code = "corrupt_photo"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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

    def total_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())


_default: PhotoStore | None = None


def default_photo_store() -> PhotoStore:
    global _default
    if _default is None:
        from core.config import settings

        _default = PhotoStore(settings().photo_store)
    return _default

"""A content-addressed photo store: a local folder by default, or an S3-compatible object store.

A photo's name is the SHA-256 of its bytes, so the same photo is stored once, a name can never
point at other bytes, and a photo damaged at rest is detected when read: every read hashes what
came back and refuses bytes that do not match the name. Both stores lay photos out the same way
(``ab/cd/abcd…``), so names list in sorted order and ``python -m core store verify`` walks either.

The local folder writes to a temporary file first and renames it into place, so a crash never
leaves half a photo under a valid name. The object store (Aliyun OSS, Tencent COS, MinIO, AWS S3)
replaces an object whole or not at all; uploads carry a Content-MD5 the server checks, so bytes
damaged in transit are refused before they are stored.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from core.errors import DomainError, NotFound

if TYPE_CHECKING:
    from core.config import Settings


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
CHUNK = 1 << 16


def _check_name(sha: str) -> str:
    if not _NAME.fullmatch(sha):
        raise NotFound("照片编号无效。", f"Invalid photo id {sha!r}.")
    return sha


def _relative(sha: str) -> str:
    """Where a photo lives inside either store: ``ab/cd/abcd…`` (keeps folders and listings small)."""
    return f"{sha[:2]}/{sha[2:4]}/{sha}"


def _missing(sha: str) -> NotFound:
    return NotFound("照片文件不存在。", f"Photo {sha[:12]} is missing from the store.")


def _damaged(sha: str) -> CorruptPhoto:
    return CorruptPhoto("照片文件已损坏（校验和不符）。", f"Photo {sha[:12]} is damaged in the store (checksum mismatch).")


class PhotoStore(ABC):
    """What every service needs from wherever photos live; each read verifies the checksum."""

    location: str
    """Where the photos are, for the operator (a folder or ``s3://bucket/prefix``)."""

    @abstractmethod
    def put(self, data: bytes) -> str:
        """Stores the bytes (once) and returns their name."""

    @abstractmethod
    def _read(self, sha: str) -> bytes:
        """The stored bytes, unchecked; NotFound when absent."""

    @abstractmethod
    def _chunks(self, sha: str, chunk_size: int) -> Iterator[bytes]:
        """The stored bytes in pieces, unchecked; NotFound when absent."""

    @abstractmethod
    def exists(self, sha: str) -> bool: ...

    @abstractmethod
    def size(self, sha: str) -> int:
        """Stored bytes of one photo; NotFound when absent."""

    @abstractmethod
    def head(self, sha: str, limit: int = CHUNK) -> bytes:
        """The first bytes of a photo (enough for an image header), unchecked; NotFound when absent."""

    @abstractmethod
    def names(self) -> Iterator[str]:
        """Every photo in the store, in sorted order."""

    @abstractmethod
    def stray_files(self) -> Iterator[str]:
        """Where things that are not photos lie: half-written uploads a crash left, anything else."""

    @abstractmethod
    def total_bytes(self) -> int: ...

    def get(self, sha: str) -> bytes:
        data = self._read(_check_name(sha))
        if sha256_hex(data) != sha:
            raise _damaged(sha)
        return data

    def iter_chunks(self, sha: str, chunk_size: int = CHUNK) -> Iterator[bytes]:
        """Streams a photo without holding it whole, verifying the checksum at the end."""
        digest = hashlib.sha256()
        for chunk in self._chunks(_check_name(sha), chunk_size):
            digest.update(chunk)
            yield chunk
        if digest.hexdigest() != sha:
            raise _damaged(sha)

    def check(self, sha: str, chunk_size: int = CHUNK) -> PhotoState:
        """Reads the whole photo and compares its hash with its name."""
        digest = hashlib.sha256()
        try:
            for chunk in self._chunks(_check_name(sha), chunk_size):
                digest.update(chunk)
        except NotFound:
            return PhotoState.MISSING
        return PhotoState.OK if digest.hexdigest() == sha else PhotoState.DAMAGED


class LocalPhotoStore(PhotoStore):
    """Photos in a folder on this machine (the default; one machine, or a shared file system)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.location = str(self.root)

    def path_of(self, sha: str) -> Path:
        return self.root / _relative(_check_name(sha))

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

    def _read(self, sha: str) -> bytes:
        try:
            return self.path_of(sha).read_bytes()
        except FileNotFoundError:
            raise _missing(sha) from None

    def _chunks(self, sha: str, chunk_size: int) -> Iterator[bytes]:
        try:
            fh = self.path_of(sha).open("rb")
        except FileNotFoundError:
            raise _missing(sha) from None
        with fh:
            while chunk := fh.read(chunk_size):
                yield chunk

    def exists(self, sha: str) -> bool:
        return self.path_of(sha).exists()

    def size(self, sha: str) -> int:
        try:
            return self.path_of(sha).stat().st_size
        except FileNotFoundError:
            raise _missing(sha) from None

    def head(self, sha: str, limit: int = CHUNK) -> bytes:
        try:
            with self.path_of(sha).open("rb") as fh:
                return fh.read(limit)
        except FileNotFoundError:
            raise _missing(sha) from None

    def names(self) -> Iterator[str]:
        for first in sorted(p for p in self.root.iterdir() if p.is_dir()):
            for second in sorted(p for p in first.iterdir() if p.is_dir()):
                for path in sorted(second.iterdir()):
                    if _NAME.fullmatch(path.name) and path.name.startswith(first.name + second.name):
                        yield path.name

    def stray_files(self) -> Iterator[str]:
        for path in self.root.rglob("*"):
            if path.is_file() and not (_NAME.fullmatch(path.name) and self.path_of(path.name) == path):
                yield str(path)

    def total_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())


class S3PhotoStore(PhotoStore):
    """Photos in an S3-compatible object store, so API servers and workers on many machines share them.

    Works with any service that speaks the S3 API: Aliyun OSS and Tencent COS (virtual-hosted
    addressing), MinIO and most self-hosted servers (path addressing), AWS S3. botocore's newer
    default of adding CRC checksums to every request is switched off ("when_required"): several of
    those services refuse the extra headers; Content-MD5 is what they all check.
    """

    def __init__(self, bucket: str, prefix: str = "", *, endpoint: str | None = None, region: str | None = None,
                 access_key: str | None = None, secret_key: str | None = None, addressing: str = "virtual",
                 client: Any = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.location = f"s3://{bucket}/{self.prefix}"
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client(
                "s3", endpoint_url=endpoint or None, region_name=region or None,
                aws_access_key_id=access_key or None, aws_secret_access_key=secret_key or None,
                config=Config(s3={"addressing_style": addressing}, signature_version="s3v4",
                              request_checksum_calculation="when_required",
                              response_checksum_validation="when_required",
                              retries={"max_attempts": 5, "mode": "standard"},
                              max_pool_connections=32, connect_timeout=5, read_timeout=30))
        self.client = client

    @classmethod
    def from_settings(cls, config: Settings) -> S3PhotoStore:
        parts = urlsplit(config.photo_store)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"WORKBENCH_PHOTO_STORE must look like s3://bucket/prefix, not {config.photo_store!r}")
        return cls(parts.netloc, parts.path, endpoint=config.s3_endpoint, region=config.s3_region,
                   access_key=config.s3_access_key_id, secret_key=config.s3_secret_access_key,
                   addressing=config.s3_addressing)

    def key_of(self, sha: str) -> str:
        return self.prefix + _relative(_check_name(sha))

    def _absent(self, error: Exception) -> bool:
        from botocore.exceptions import ClientError

        return isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in {
            "404", "NoSuchKey", "NotFound"}

    def _head(self, sha: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.key_of(sha))
        except ClientError as error:
            if self._absent(error):
                return None
            raise

    def put(self, data: bytes) -> str:
        sha = sha256_hex(data)
        if self._head(sha) is not None:
            return sha
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode("ascii")
        self.client.put_object(Bucket=self.bucket, Key=self.key_of(sha), Body=data, ContentMD5=md5,
                               ContentType="application/octet-stream", Metadata={"sha256": sha})
        return sha

    def _get(self, sha: str, **extra: Any) -> Any:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.key_of(sha), **extra)["Body"]
        except ClientError as error:
            if self._absent(error):
                raise _missing(sha) from None
            raise

    def _read(self, sha: str) -> bytes:
        body = self._get(sha)
        with body:
            return body.read()

    def _chunks(self, sha: str, chunk_size: int) -> Iterator[bytes]:
        body = self._get(sha)
        with body:
            yield from body.iter_chunks(chunk_size)

    def exists(self, sha: str) -> bool:
        return self._head(sha) is not None

    def size(self, sha: str) -> int:
        head = self._head(sha)
        if head is None:
            raise _missing(sha)
        return int(head["ContentLength"])

    def head(self, sha: str, limit: int = CHUNK) -> bytes:
        body = self._get(sha, Range=f"bytes=0-{limit - 1}")
        with body:
            return body.read()

    def _objects(self) -> Iterator[tuple[str, int]]:
        """Every key under the prefix with its size; S3 lists keys in byte order, so names come sorted."""
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", ()):
                yield item["Key"], int(item["Size"])

    def _is_photo(self, key: str) -> bool:
        name = key.rsplit("/", 1)[-1]
        return bool(_NAME.fullmatch(name)) and key == self.prefix + _relative(name)

    def names(self) -> Iterator[str]:
        for key, _ in self._objects():
            if self._is_photo(key):
                yield key.rsplit("/", 1)[-1]

    def stray_files(self) -> Iterator[str]:
        for key, _ in self._objects():
            if not self._is_photo(key):
                yield f"s3://{self.bucket}/{key}"

    def total_bytes(self) -> int:
        return sum(size for _, size in self._objects())


def open_photo_store(config: Settings) -> PhotoStore:
    """The store the settings name: ``s3://bucket/prefix`` is an object store, anything else a folder."""
    if config.photo_store.startswith("s3://"):
        return S3PhotoStore.from_settings(config)
    return LocalPhotoStore(Path(config.photo_store))


_default: PhotoStore | None = None


def default_photo_store() -> PhotoStore:
    global _default
    if _default is None:
        from core.config import settings

        _default = open_photo_store(settings())
    return _default

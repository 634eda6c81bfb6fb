"""Both photo stores for the same contract tests: a local folder, and an S3-compatible object
store served on a free loopback port by moto's server (a real HTTP S3 endpoint, started once per
test session) with a fresh bucket per test.

``Backdoor`` does to a store what disks and operators do behind its back (delete a photo, flip a
byte, leave a half-written upload), so a test can check the store notices.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from core.storage.photos import LocalPhotoStore, PhotoStore, S3PhotoStore

BACKENDS = ["folder", "s3"]
KEY, SECRET, REGION = "scale-test-key", "scale-test-secret", "cn-north-1"


class S3Server:
    """moto's S3 server on 127.0.0.1 and a port the system picks."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.stop()

    def new_store(self, prefix: str = "photos") -> S3PhotoStore:
        bucket = f"scale-{uuid.uuid4().hex[:16]}"
        store = S3PhotoStore(bucket, prefix, endpoint=self.endpoint, region=REGION, access_key=KEY,
                             secret_key=SECRET, addressing="path")
        store.client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        return store

    def environment(self, store: S3PhotoStore) -> dict[str, str]:
        """What ``python -m core`` in another process needs to open the same store."""
        return {"WORKBENCH_PHOTO_STORE": store.location, "WORKBENCH_S3_ENDPOINT": self.endpoint,
                "WORKBENCH_S3_REGION": REGION, "WORKBENCH_S3_ACCESS_KEY_ID": KEY,
                "WORKBENCH_S3_SECRET_ACCESS_KEY": SECRET, "WORKBENCH_S3_ADDRESSING": "path"}


@dataclass
class Backdoor:
    store: PhotoStore
    server: S3Server | None = None

    def remove(self, sha: str) -> None:
        if isinstance(self.store, S3PhotoStore):
            self.store.client.delete_object(Bucket=self.store.bucket, Key=self.store.key_of(sha))
        else:
            assert isinstance(self.store, LocalPhotoStore)
            self.store.path_of(sha).unlink()

    def overwrite(self, sha: str, data: bytes) -> None:
        """Other bytes under the photo's name, as bit rot or a careless copy leaves them."""
        if isinstance(self.store, S3PhotoStore):
            self.store.client.put_object(Bucket=self.store.bucket, Key=self.store.key_of(sha), Body=data)
        else:
            assert isinstance(self.store, LocalPhotoStore)
            self.store.path_of(sha).write_bytes(data)

    def read_raw(self, sha: str) -> bytes:
        if isinstance(self.store, S3PhotoStore):
            return self.store.client.get_object(Bucket=self.store.bucket, Key=self.store.key_of(sha))["Body"].read()
        assert isinstance(self.store, LocalPhotoStore)
        return self.store.path_of(sha).read_bytes()

    def leave_stray(self, name: str, data: bytes) -> None:
        """A file that is no photo inside the store (a crash's half upload, a stray copy)."""
        if isinstance(self.store, S3PhotoStore):
            self.store.client.put_object(Bucket=self.store.bucket, Key=self.store.prefix + name, Body=data)
        else:
            assert isinstance(self.store, LocalPhotoStore)
            (self.store.root / name).parent.mkdir(parents=True, exist_ok=True)
            (self.store.root / name).write_bytes(data)

    def objects(self) -> int:
        """Everything the store holds, photos or not."""
        if isinstance(self.store, S3PhotoStore):
            pages = self.store.client.get_paginator("list_objects_v2").paginate(Bucket=self.store.bucket)
            return sum(len(page.get("Contents", ())) for page in pages)
        assert isinstance(self.store, LocalPhotoStore)
        return sum(1 for p in self.store.root.rglob("*") if p.is_file())

    def environment(self) -> dict[str, str]:
        if isinstance(self.store, S3PhotoStore):
            assert self.server is not None
            return self.server.environment(self.store)
        assert isinstance(self.store, LocalPhotoStore)
        return {"WORKBENCH_PHOTO_STORE": str(self.store.root)}


def open_backend(kind: str, tmp_path: Path, server: S3Server | None) -> Backdoor:
    if kind == "s3":
        assert server is not None
        return Backdoor(server.new_store(), server)
    return Backdoor(LocalPhotoStore(tmp_path / "photos"))

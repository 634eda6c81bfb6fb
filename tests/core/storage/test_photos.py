"""Where photo bytes live: never in the database, always addressed by their SHA-256. Every test runs
against both stores (a local folder and an S3-compatible object store on this machine)."""
from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
from dataclasses import replace

import pytest

from core.config import Settings
from core.errors import NotFound
from core.storage.photos import (
    CorruptPhoto,
    LocalPhotoStore,
    PhotoState,
    S3PhotoStore,
    open_photo_store,
    sha256_hex,
)
from tests.photo_stores import Backdoor


def test_same_bytes_stored_once_under_their_hash(any_store: Backdoor):
    store = any_store.store
    first = store.put(b"photo-bytes")
    assert first == store.put(b"photo-bytes") == sha256_hex(b"photo-bytes")
    assert store.get(first) == b"photo-bytes" == any_store.read_raw(first)
    assert store.exists(first) and store.size(first) == len(b"photo-bytes")
    assert any_store.objects() == 1 and store.total_bytes() == len(b"photo-bytes")


def test_damaged_photo_is_detected_on_every_read(any_store: Backdoor):
    store = any_store.store
    sha = store.put(b"original")
    any_store.overwrite(sha, b"tampered")
    with pytest.raises(CorruptPhoto):
        store.get(sha)
    with pytest.raises(CorruptPhoto):
        b"".join(store.iter_chunks(sha))
    assert store.check(sha) is PhotoState.DAMAGED


def test_missing_and_malformed_names(any_store: Backdoor):
    store = any_store.store
    missing = "0" * 64
    with pytest.raises(NotFound):
        store.get(missing)
    with pytest.raises(NotFound):
        b"".join(store.iter_chunks(missing))
    with pytest.raises(NotFound):
        store.size(missing)
    with pytest.raises(NotFound):
        store.head(missing)
    assert not store.exists(missing) and store.check(missing) is PhotoState.MISSING
    with pytest.raises(NotFound):
        store.get("../../etc/passwd")
    with pytest.raises(NotFound):
        store.exists("A" * 64)


def test_streamed_in_chunks_and_header_read_without_the_whole_photo(any_store: Backdoor, fixtures_dir):
    store = any_store.store
    photo = (fixtures_dir / "london" / "001_neutral.jpg").read_bytes()
    sha = store.put(photo)
    chunks = list(store.iter_chunks(sha, chunk_size=4096))
    assert b"".join(chunks) == photo and len(chunks) == -(-len(photo) // 4096)
    assert store.head(sha, 1000) == photo[:1000]
    assert store.check(sha) is PhotoState.OK


def test_names_come_sorted_and_strays_are_told_apart(any_store: Backdoor):
    store = any_store.store
    shas = [store.put(f"photo {n}".encode()) for n in range(30)]
    any_store.leave_stray("ab/.incoming-crash", b"half a photo")
    any_store.leave_stray("notes.txt", b"left by an operator")
    assert list(store.names()) == sorted(shas)
    assert len(list(store.stray_files())) == 2
    assert store.total_bytes() == sum(len(f"photo {n}".encode()) for n in range(30)) + 12 + 19


def test_the_settings_choose_the_store(tmp_path, s3_server):
    base = Settings.from_env()
    folder = open_photo_store(replace(base, photo_store=str(tmp_path / "photos")))
    assert isinstance(folder, LocalPhotoStore) and folder.root == tmp_path / "photos"
    bucket = s3_server.new_store()
    config = replace(base, photo_store=f"s3://{bucket.bucket}/season-2026/", s3_endpoint=s3_server.endpoint,
                     s3_region="cn-north-1", s3_access_key_id="k", s3_secret_access_key="s", s3_addressing="path")
    remote = open_photo_store(config)
    assert isinstance(remote, S3PhotoStore) and remote.location == f"s3://{bucket.bucket}/season-2026/"
    sha = remote.put(b"through the settings")
    assert bucket.client.head_object(Bucket=bucket.bucket, Key=f"season-2026/{sha[:2]}/{sha[2:4]}/{sha}")
    assert "s3_secret_access_key" not in repr(config)


def test_a_mistyped_addressing_style_stops_start_up(monkeypatch):
    monkeypatch.setenv("WORKBENCH_S3_ADDRESSING", "virutal")
    with pytest.raises(ValueError, match="WORKBENCH_S3_ADDRESSING"):
        Settings.from_env()


def test_uploads_carry_the_checksums_the_object_store_checks(s3_server):
    """Content-MD5 (which OSS, COS, MinIO and S3 all check on receipt, refusing bytes damaged in
    transit) and the SHA-256 as metadata; no CRC headers that some S3-compatible services refuse."""
    store = s3_server.new_store()
    sent: list[dict[str, str]] = []
    store.client.meta.events.register("before-send.s3.PutObject",
                                      lambda request, **_: sent.append(dict(request.headers)))
    data = b"a portrait"
    sha = store.put(data)
    store.put(data)
    assert len(sent) == 1, "the same bytes are uploaded once"
    headers = {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in sent[0].items()}
    assert headers["content-md5"] == base64.b64encode(hashlib.md5(data).digest()).decode()
    assert headers["x-amz-meta-sha256"] == sha
    assert not any(k.startswith("x-amz-checksum") for k in headers)


def test_store_verify_from_the_command_line_reads_the_object_store(tmp_path, s3_server):
    """``python -m core store verify`` opens the store the environment names, in another process."""
    import os

    from core.config import PROJECT_ROOT

    backdoor = Backdoor(s3_server.new_store(), s3_server)
    backdoor.store.put(b"a photo no row names")
    env = dict(os.environ, WORKBENCH_DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}", **backdoor.environment())
    subprocess.run([sys.executable, "-m", "core", "migrate"], cwd=PROJECT_ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    done = subprocess.run([sys.executable, "-m", "core", "store", "verify"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "in the store but named by no row: 1" in done.stdout

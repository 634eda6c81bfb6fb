from __future__ import annotations

import pytest

from core.errors import NotFound
from core.storage.photos import CorruptPhoto, PhotoStore, sha256_hex


def test_same_bytes_stored_once_under_their_hash(tmp_path):
    store = PhotoStore(tmp_path)
    first = store.put(b"photo-bytes")
    assert first == store.put(b"photo-bytes") == sha256_hex(b"photo-bytes")
    assert store.get(first) == b"photo-bytes"
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1


def test_damaged_file_is_detected_on_read(tmp_path):
    store = PhotoStore(tmp_path)
    sha = store.put(b"original")
    store.path_of(sha).write_bytes(b"tampered")
    with pytest.raises(CorruptPhoto):
        store.get(sha)
    with pytest.raises(CorruptPhoto):
        b"".join(store.iter_chunks(sha))


def test_missing_and_malformed_names(tmp_path):
    store = PhotoStore(tmp_path)
    with pytest.raises(NotFound):
        store.get("0" * 64)
    with pytest.raises(NotFound):
        store.path_of("../../etc/passwd")

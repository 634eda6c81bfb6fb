"""The collection code: demo format, hashing, typed refusals, and the replaceable decoder."""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from core.imaging.collection_code import (
    CodeError,
    CollectionCode,
    DecodedCode,
    DemoCodeDecoder,
    PayloadError,
    decode_collection_code,
    encode_demo_code,
)
from tests.core.imaging.degrade import clean_code_rgb

CODE = CollectionCode(
    school_code="10487", student_number="2021012345", masked_name="丁*云", id_last4="123X"
)


def code_image(payload: bytes) -> np.ndarray:
    """The code as the student downloads it."""
    return clean_code_rgb(payload)


def test_demo_payload_follows_the_documented_format() -> None:
    payload = encode_demo_code(CODE)
    body = "CHSIDEMO1|10487|2021012345|丁*云|123X"
    checksum = hashlib.sha256(body.encode("utf-8")).hexdigest()[:8]
    assert payload == f"{body}|{checksum}".encode()


def test_demo_decoder_reads_back_what_was_encoded() -> None:
    assert DemoCodeDecoder().parse(encode_demo_code(CODE)) == CODE


@pytest.mark.parametrize(
    "payload",
    [
        "CHSIDEMO1|10487|2021012345|丁*云|123X|00000000".encode(),
        "CHSIDEMO2|10487|2021012345|丁*云|123X|deadbeef".encode(),
        b"https://example.com/not-a-collection-code",
        b"\x8f\x00\xff\x10 encrypted-looking bytes",
        b"",
    ],
    ids=["wrong checksum", "other version", "url", "binary", "empty"],
)
def test_demo_decoder_refuses_what_is_not_a_valid_demo_code(payload: bytes) -> None:
    with pytest.raises(PayloadError):
        DemoCodeDecoder().parse(payload)


def test_a_hand_edited_field_breaks_the_checksum() -> None:
    edited = encode_demo_code(CODE).replace(b"2021012345", b"2021012346")
    with pytest.raises(PayloadError, match="checksum"):
        DemoCodeDecoder().parse(edited)


@pytest.mark.parametrize(
    "fields",
    [
        dict(school_code="1048", student_number="1", masked_name="丁*", id_last4="1234"),
        dict(school_code="10487", student_number="20|21", masked_name="丁*", id_last4="1234"),
        dict(school_code="10487", student_number="1", masked_name="丁小云", id_last4="1234"),
        dict(school_code="10487", student_number="1", masked_name="丁*|", id_last4="1234"),
        dict(school_code="10487", student_number="1", masked_name="丁*", id_last4="12X4"),
    ],
    ids=["short school code", "| in number", "unmasked name", "| in name", "X not last"],
)
def test_a_collection_code_is_always_well_formed(fields: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        CollectionCode(**fields)


def test_an_uploaded_code_is_decoded_with_exact_bytes_and_hash() -> None:
    payload = encode_demo_code(CODE)
    result = decode_collection_code(code_image(payload))
    assert result == DecodedCode(
        raw=payload, code_hash=hashlib.sha256(payload).hexdigest(), code=CODE, error=None
    )
    assert result.text == payload.decode("utf-8")


def test_the_same_code_gives_the_same_hash_and_another_code_another() -> None:
    other = CollectionCode("10487", "2021012346", "丁*云", "123X")
    first = decode_collection_code(code_image(encode_demo_code(CODE)))
    smaller = cv2.resize(code_image(encode_demo_code(CODE)), None, fx=0.5, fy=0.5)
    again = decode_collection_code(smaller)
    second = decode_collection_code(code_image(encode_demo_code(other)))
    assert first.code_hash == again.code_hash
    assert first.code_hash != second.code_hash


def test_a_wrong_checksum_is_refused_as_unreadable_and_the_bytes_are_kept() -> None:
    payload = encode_demo_code(CODE)[:-8] + b"00000000"
    result = decode_collection_code(code_image(payload))
    assert result.error is CodeError.UNREADABLE_PAYLOAD
    assert result.code is None
    assert result.raw == payload
    assert result.code_hash == hashlib.sha256(payload).hexdigest()


def test_another_qr_code_is_refused_as_unreadable() -> None:
    result = decode_collection_code(code_image(b"https://weixin.qq.com/r/some-official-account"))
    assert result.error is CodeError.UNREADABLE_PAYLOAD
    assert result.text == "https://weixin.qq.com/r/some-official-account"


def test_the_collection_code_wins_over_another_qr_code_in_the_same_image() -> None:
    foreign = code_image(b"https://weixin.qq.com/r/some-official-account")
    ours = code_image(encode_demo_code(CODE))
    height, width = max(foreign.shape[0], ours.shape[0]), foreign.shape[1] + ours.shape[1]
    page = np.full((height, width, 3), 255, np.uint8)
    page[: foreign.shape[0], : foreign.shape[1]] = foreign
    page[: ours.shape[0], foreign.shape[1] :] = ours
    result = decode_collection_code(page)
    assert result.code == CODE and result.error is None


class LookupDecoder:
    """Stands in for CHSI's decryption service: it knows a set of tokens, as the service would."""

    def __init__(self, known: dict[bytes, CollectionCode]) -> None:
        self.known = known

    def parse(self, raw: bytes) -> CollectionCode:
        if raw not in self.known:
            raise PayloadError("token not recognised")
        return self.known[raw]


def test_a_binary_token_keeps_its_exact_bytes_and_goes_through_the_given_decoder() -> None:
    token = bytes(range(256))[::-3] + b"\x00\xff\x80"
    image = code_image(token)
    with_demo = decode_collection_code(image)
    assert with_demo.raw == token and with_demo.text is None
    assert with_demo.error is CodeError.UNREADABLE_PAYLOAD
    with_service = decode_collection_code(image, decoder=LookupDecoder({token: CODE}))
    assert with_service.code == CODE and with_service.raw == token and with_service.error is None


def test_every_error_tells_the_student_what_to_do_in_both_languages() -> None:
    for error in CodeError:
        assert "学信网" in error.message_zh
        assert "CHSI" in error.message_en
    assert "截图" in CodeError.NO_CODE_FOUND.message_zh


def face_photos(faces_dir: Path) -> list[Path]:
    return sorted(p for p in faces_dir.rglob("*") if p.suffix.lower() in {".jpg", ".png"})


def test_face_photos_yield_no_code_and_no_text(faces_dir: Path) -> None:
    photos = face_photos(faces_dir)
    assert len(photos) >= 15
    for path in photos:
        result = decode_collection_code(np.asarray(Image.open(path).convert("RGB")))
        assert result == DecodedCode(None, None, None, CodeError.NO_CODE_FOUND), path.name
        assert result.text is None


@pytest.mark.parametrize("side", [64, 480, 1600])
def test_noise_yields_no_code_and_no_text(side: int) -> None:
    rng = np.random.default_rng(side)
    for blur in (0, 1.5, 4):
        image = rng.integers(0, 256, (side, side * 3 // 4, 3), dtype=np.uint8)
        if blur:
            image = cv2.GaussianBlur(image, (0, 0), blur)  # type: ignore[assignment]  # uint8 in, uint8 out
        result = decode_collection_code(image)
        assert result.error is CodeError.NO_CODE_FOUND and result.text is None


def test_a_blank_page_yields_no_code() -> None:
    result = decode_collection_code(np.full((800, 600, 3), 255, np.uint8))
    assert result.error is CodeError.NO_CODE_FOUND


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((50, 50), np.uint8),
        np.zeros((50, 50, 4), np.uint8),
        np.zeros((50, 50, 3), np.float32),
    ],
    ids=["gray", "rgba", "float"],
)
def test_anything_but_an_rgb_uint8_image_is_a_caller_error(image: np.ndarray) -> None:
    with pytest.raises(ValueError, match="RGB uint8"):
        decode_collection_code(image)

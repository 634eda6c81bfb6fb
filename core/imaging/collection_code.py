"""The CHSI image collection code (图像采集码): what it says, and how we read it from an upload.

The real code is an encrypted token that only an authorised collection unit can decrypt, in a
format CHSI does not publish. So the payload is kept exactly as the QR carries it (``raw``), hashed
(``code_hash``, to catch one code used for two records), and parsed through one replaceable
:class:`CodeDecoder`; production would plug in a decoder that calls CHSI's decryption service.

Demo format (:class:`DemoCodeDecoder`, used by the demo data and the tests), UTF-8 text::

    CHSIDEMO1|<school_code>|<student_number>|<masked_name>|<id_last4>|<checksum>

- ``school_code``: the 5-digit CHSI school code, e.g. ``10487``;
- ``student_number``: 1-32 ASCII letters or digits;
- ``masked_name``: the name as students see it, at least one ``*``, no ``|``, e.g. ``丁*云``;
- ``id_last4``: the last 4 characters of the ID number, three digits then a digit or ``X``;
- ``checksum``: the first 8 lowercase hex digits of SHA-256 over everything before the last ``|``.

The checksum catches a damaged or hand-edited payload; it is not a signature (the demo has no
secret). Example: ``CHSIDEMO1|10487|2021012345|丁*云|123X|`` followed by its checksum.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

import numpy as np

from core.domain.contacts import HOTLINE
from core.imaging.qr import read_qr

DEMO_PREFIX = "CHSIDEMO1"
_SEPARATOR = "|"
_SCHOOL_CODE = re.compile(r"\d{5}")
_STUDENT_NUMBER = re.compile(r"[0-9A-Za-z]{1,32}")
_ID_LAST4 = re.compile(r"\d{3}[\dX]")


class PayloadError(ValueError):
    """A decoder could not understand a payload (wrong format, damaged, not a collection code)."""


@dataclass(frozen=True)
class CollectionCode:
    """What a decoder understood from a collection code; always well-formed."""

    school_code: str
    student_number: str
    masked_name: str
    id_last4: str

    def __post_init__(self) -> None:
        if not _SCHOOL_CODE.fullmatch(self.school_code):
            raise ValueError(f"school code must be 5 digits: {self.school_code!r}")
        if not _STUDENT_NUMBER.fullmatch(self.student_number):
            raise ValueError(f"student number must be 1-32 letters/digits: {self.student_number!r}")
        if "*" not in self.masked_name or _SEPARATOR in self.masked_name:
            raise ValueError(f"name must be masked with '*' and hold no '|': {self.masked_name!r}")
        if not _ID_LAST4.fullmatch(self.id_last4):
            raise ValueError(f"ID last 4 must be 3 digits then a digit or X: {self.id_last4!r}")


class CodeError(str, Enum):
    """Why an upload gave no usable code, with what the student should do about it."""

    NO_CODE_FOUND = "no_code_found"
    UNREADABLE_PAYLOAD = "unreadable_payload"

    @property
    def message_zh(self) -> str:
        return _MESSAGES[self][0]

    @property
    def message_en(self) -> str:
        return _MESSAGES[self][1]


_MESSAGES: dict[CodeError, tuple[str, str]] = {
    CodeError.NO_CODE_FOUND: (
        "未能在图片中识别到图像采集码。请在学信网重新下载采集码图片并直接上传该图片"
        "（不要截图或翻拍屏幕），确保二维码完整、清晰。",
        "No collection code was found in the image. Download the collection code from CHSI "
        "again and upload that image itself (not a screenshot or a photo of a screen), with "
        "the whole QR code sharp and visible.",
    ),
    CodeError.UNREADABLE_PAYLOAD: (
        "图片中的二维码不是有效的学信网图像采集码。请确认上传的是学信网下载的图像采集码，"
        f"而不是其他二维码；如仍不能识别，请联系客服 {HOTLINE}。",
        "The QR code in the image is not a valid CHSI collection code. Make sure you upload the "
        "collection code downloaded from CHSI, not another QR code; if it still fails, call "
        f"support on {HOTLINE}.",
    ),
}


@dataclass(frozen=True)
class DecodedCode:
    """The outcome of reading an upload: the exact payload, its hash, and what it means."""

    raw: bytes | None
    code_hash: str | None
    code: CollectionCode | None
    error: CodeError | None

    @property
    def text(self) -> str | None:
        """The payload as UTF-8 text, or None when there is none or it is binary."""
        if self.raw is None:
            return None
        try:
            return self.raw.decode("utf-8")
        except UnicodeDecodeError:
            return None


class CodeDecoder(Protocol):
    """Turns a payload into a :class:`CollectionCode`; production would call CHSI's decryption."""

    def parse(self, raw: bytes) -> CollectionCode:
        """Raise :class:`PayloadError` for a payload this decoder cannot understand."""
        ...


def _checksum(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:8]


def encode_demo_code(code: CollectionCode) -> bytes:
    """The demo payload for ``code``, checksum included (see the module docstring)."""
    body = _SEPARATOR.join(
        [DEMO_PREFIX, code.school_code, code.student_number, code.masked_name, code.id_last4]
    )
    return f"{body}{_SEPARATOR}{_checksum(body)}".encode()


class DemoCodeDecoder:
    """Parses the documented demo format; refuses anything else, including a wrong checksum."""

    def parse(self, raw: bytes) -> CollectionCode:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PayloadError("payload is not UTF-8 text") from exc
        body, _, checksum = text.rpartition(_SEPARATOR)
        fields = body.split(_SEPARATOR)
        if len(fields) != 5 or fields[0] != DEMO_PREFIX:
            raise PayloadError("payload is not in the CHSIDEMO1 format")
        if checksum != _checksum(body):
            raise PayloadError("payload checksum does not match")
        try:
            return CollectionCode(*fields[1:])
        except ValueError as exc:
            raise PayloadError(str(exc)) from exc


def code_hash(raw: bytes) -> str:
    """SHA-256 hex of the exact payload: equal hashes mean the same code was uploaded."""
    return hashlib.sha256(raw).hexdigest()


def decode_collection_code(
    image_rgb: np.ndarray, decoder: CodeDecoder | None = None
) -> DecodedCode:
    """Read the collection code from an RGB upload; a payload the decoder refuses is kept, typed.

    When the image holds several QR codes (a screenshot with another code on it), the first one
    the decoder understands wins; failing that, the first one found is kept.
    """
    decoder = decoder or DemoCodeDecoder()
    found = read_qr(image_rgb)
    if found is None:
        return DecodedCode(raw=None, code_hash=None, code=None, error=CodeError.NO_CODE_FOUND)
    for raw in found.payloads:
        try:
            code = decoder.parse(raw)
        except PayloadError:
            continue
        return DecodedCode(raw=raw, code_hash=code_hash(raw), code=code, error=None)
    raw = found.payloads[0]
    return DecodedCode(
        raw=raw, code_hash=code_hash(raw), code=None, error=CodeError.UNREADABLE_PAYLOAD
    )

"""Find and decode a QR code in an RGB image, keeping its payload bytes exact.

zxing-cpp reads first: it is the most successful and fastest decoder on degraded uploads and
returns the exact bytes. zbar (pyzbar, needs the system library ``libzbar0``) is the fallback,
run in binary mode so it does not transcode the payload. Only when the plain image fails do we
retry on a short ladder of preprocessed versions, so a clean upload costs one decode.
Only QR codes are looked for: other symbologies have weak checks and would let noise read as text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np
import zxingcpp

log = logging.getLogger(__name__)

Reader = Callable[[np.ndarray], tuple[bytes, ...]]
Step = Callable[[np.ndarray], np.ndarray | None]


@dataclass(frozen=True)
class QrRead:
    """Every QR payload found, with the reader and the ladder step that found them."""

    payloads: tuple[bytes, ...]
    reader: str
    step: str


def read_zxing(gray: np.ndarray) -> tuple[bytes, ...]:
    found = zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode)
    return tuple(r.bytes for r in found if r.valid)


_ZBAR_QRCODE = 64
_ZBAR_CFG_ENABLE = 0
_ZBAR_CFG_BINARY = 4
"""zbar >= 0.23: hand back the payload bytes instead of transcoding them to UTF-8."""


@cache
def zbar_reader() -> Reader | None:
    """The zbar reader, or None (logged once) when pyzbar or libzbar0 is missing.

    pyzbar's ``decode()`` cannot switch on zbar's binary mode, so the reader drives the scanner
    through pyzbar's own ctypes helpers (pinned pyzbar==0.1.9)."""
    try:
        from ctypes import c_void_p, cast

        from pyzbar import pyzbar, wrapper
    except ImportError as exc:
        log.warning("zbar fallback disabled (install libzbar0 to enable it): %s", exc)
        return None

    def read_zbar(gray: np.ndarray) -> tuple[bytes, ...]:
        gray = np.ascontiguousarray(gray)
        h, w = gray.shape
        pixels = gray.tobytes()
        with pyzbar._image_scanner() as scanner:
            wrapper.zbar_image_scanner_set_config(scanner, 0, _ZBAR_CFG_ENABLE, 0)
            wrapper.zbar_image_scanner_set_config(scanner, _ZBAR_QRCODE, _ZBAR_CFG_ENABLE, 1)
            wrapper.zbar_image_scanner_set_config(scanner, _ZBAR_QRCODE, _ZBAR_CFG_BINARY, 1)
            with pyzbar._image() as image:
                wrapper.zbar_image_set_format(image, pyzbar._FOURCC["L800"])
                wrapper.zbar_image_set_size(image, w, h)
                wrapper.zbar_image_set_data(image, cast(pixels, c_void_p), len(pixels), None)  # type: ignore[arg-type]  # ctypes takes bytes as a char pointer
                wrapper.zbar_scan_image(scanner, image)
                symbols = pyzbar._decode_symbols(pyzbar._symbols_for_image(image))
                return tuple(symbol.data for symbol in symbols)

    return read_zbar


def to_gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def upscale(rgb: np.ndarray) -> np.ndarray | None:
    """Thumbnails: modules of 1-2 px are too thin for the finder-pattern search. Lanczos keeps the
    module edges sharper than cubic interpolation: of 53 thumbnails the plain decode missed on
    bench/bench_qr.py (3 seeds), Lanczos at up to 6 times reads 51, cubic at up to 4 times 37."""
    shortest = min(rgb.shape[:2])
    if shortest >= 600:
        return None
    factor = min(6.0, 600 / shortest)
    return cv2.resize(to_gray(rgb), None, fx=factor, fy=factor, interpolation=cv2.INTER_LANCZOS4)


def median(rgb: np.ndarray) -> np.ndarray:
    """Salt-and-pepper and sensor noise."""
    return cv2.medianBlur(to_gray(rgb), 3)


def sharpen(rgb: np.ndarray) -> np.ndarray:
    """Out-of-focus codes: an unsharp mask restores the module edges the blur spread out. Its rung
    is ``full_size``: a small code in a 12 MP photo has modules of 4-5 px, which the working copy
    halves to 2 px, too thin to restore (on the working copy it read 37 of 49 such photos that
    the plain decode missed, on the upload 44)."""
    gray = to_gray(rgb)
    return cv2.addWeighted(gray, 3.0, cv2.GaussianBlur(gray, (0, 0), 2.0), -2.0, 0)


_THRESHOLD_WINDOW = 41
_THRESHOLD_OFFSET = 40


def max_channel_threshold(rgb: np.ndarray) -> np.ndarray:
    """Photos of screens: a lit pixel is bright in one subpixel colour, so the max of the channels
    removes the colour moiré. What is left is the dark gap between pixel rows, aliased into wide
    bands about a third as bright as white but still far brighter than the black modules; a
    threshold set well below the mean of a window a few modules wide keeps those bands white.
    On the bench's screen photos (1000-1440 px high) windows of 31-41 px with offsets of 30-50
    read about as well."""
    red, green, blue = cv2.split(rgb)
    return cv2.adaptiveThreshold(
        cv2.max(cv2.max(red, green), blue),
        255,
        cv2.ADAPTIVE_THRESH_MEAN_C,
        cv2.THRESH_BINARY,
        _THRESHOLD_WINDOW,
        _THRESHOLD_OFFSET,
    )


_GAP_CLOSING = np.ones((2, 2), np.uint8)
_CLOSED_THRESHOLD_OFFSET = 20


def closed_max_channel_threshold(rgb: np.ndarray) -> np.ndarray:
    """Photos of monitors, whose sensor samples the pixel grid at 1-2.5 px per screen pixel: the
    dark gaps between pixel rows survive as thin dark lines that cut the white between modules
    and break the finder patterns. A 2×2 closing of the max of the channels fills lines one or
    two pixels thin and leaves modules (3 px and more) alone; the threshold then needs a smaller
    offset than ``max_channel_threshold``, as no wide dark bands are left to keep white."""
    red, green, blue = cv2.split(rgb)
    closed = cv2.morphologyEx(cv2.max(cv2.max(red, green), blue), cv2.MORPH_CLOSE, _GAP_CLOSING)
    return cv2.adaptiveThreshold(
        closed, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, _THRESHOLD_WINDOW, _CLOSED_THRESHOLD_OFFSET
    )


_RECTIFIED_SIDE = 400
_RECTIFIED_MARGIN = 40
_DETECT_MAX_SIDE = 1000


def _code_detector() -> cv2.QRCodeDetectorAruco:
    """OpenCV's ArUco-based QR detector, loosened for strong perspective. It finds the finder
    patterns with ArUco's square search, which survives foreshortening, but by default rejects a
    trio whose module sizes differ by more than 1.75 times or whose sides turn by more than 15°;
    a code seen at a steep angle (corners moved by a quarter of its side) has near and far finder
    patterns up to 4 times apart in module size. OpenCV's classic detector finds almost none."""
    params = cv2.QRCodeDetectorAruco.Params()
    params.maxModuleSizeMismatch = 4.0
    params.maxRotation = np.pi / 4
    return cv2.QRCodeDetectorAruco(params)


def rectify(rgb: np.ndarray) -> np.ndarray | None:
    """Strong perspective: OpenCV locates the code (it is not asked to decode, as it would mangle
    binary payloads) and the code is warped back to a square. A small image is upscaled first,
    as the detector too needs modules of a few pixels, and warping from the sharper upscaled
    copy also reads thumbnails that ``upscale`` alone does not."""
    gray = upscale(rgb)
    if gray is None:
        gray = to_gray(rgb)
    factor = min(1.0, _DETECT_MAX_SIDE / max(gray.shape))
    small = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    found, corners = _code_detector().detect(small)
    if not found or corners is None:
        return None
    lo, hi = _RECTIFIED_MARGIN, _RECTIFIED_MARGIN + _RECTIFIED_SIDE
    square = np.array([[lo, lo], [hi, lo], [hi, hi], [lo, hi]], dtype=np.float32)
    warp = cv2.getPerspectiveTransform(corners.reshape(4, 2).astype(np.float32) / factor, square)
    return cv2.warpPerspective(
        gray, warp, (hi + lo, hi + lo), flags=cv2.INTER_CUBIC, borderValue=255
    )


@dataclass(frozen=True)
class Rung:
    """One retry of the ladder: a preprocessing step and how its image is read."""

    name: str
    step: Step
    full_size: bool = False
    """The step gets the upload itself instead of the working copy (see ``LADDER_MAX_SIDE``)."""
    with_zbar: bool = False
    """zbar reads the step's image too when zxing fails on it."""


LADDER: tuple[Rung, ...] = (
    Rung("upscale", upscale),
    Rung("median", median),
    Rung("sharpen", sharpen, full_size=True),
    Rung("max_channel_threshold", max_channel_threshold, with_zbar=True),
    Rung("closed_max_channel_threshold", closed_max_channel_threshold, with_zbar=True),
    Rung("rectify", rectify),
)
"""Retries in order of cost. Each step reads images no other does on the degraded set of
bench/bench_qr.py; shrinking, CLAHE, Otsu, a grey adaptive threshold, zxing's other binarizers
and ``is_pure``, and a blurred max of the channels (which the threshold step covers) were
measured there and read none that these miss, so they are not tried. zbar reads only the two
thresholded images: on the first it read 6 screen photos in 4000 images that zxing missed, on the
closed one 4 of 22 monitor photos with exaggerated moiré (point-sampled, no lens blur) that every
other step missed; on the other steps it read none that zxing missed, at 5-10 times zxing's cost
per try."""

LADDER_MAX_SIDE = 2000
"""zbar and the ladder (but for ``full_size`` rungs) work on a copy no longer than this, so a
12 MP photo without a code stays fast; zxing reads the full image first and does its own
downscaling."""


def _working_copy(rgb: np.ndarray) -> np.ndarray:
    longest = max(rgb.shape[:2])
    if longest <= LADDER_MAX_SIDE:
        return rgb
    factor = LADDER_MAX_SIDE / longest
    return cv2.resize(rgb, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)


def read_qr(image_rgb: np.ndarray, *, ladder: bool = True, zbar: bool = True) -> QrRead | None:
    """Decode the QR codes in an RGB uint8 image, or None when there is none that reads.

    zxing reads the image, then zbar; only when both fail, zxing retries on each ladder step (and
    zbar on the rungs that say so).
    """
    if image_rgb.ndim != 3 or image_rgb.shape[2] != 3 or image_rgb.dtype != np.uint8:
        raise ValueError(f"expected RGB uint8 (H, W, 3), got {image_rgb.shape} {image_rgb.dtype}")
    payloads = read_zxing(to_gray(image_rgb))
    if payloads:
        return QrRead(payloads=payloads, reader="zxing", step="plain")
    work = _working_copy(image_rgb)
    read_zbar = zbar_reader() if zbar else None
    if read_zbar is not None:
        payloads = read_zbar(to_gray(work))
        if payloads:
            return QrRead(payloads=payloads, reader="zbar", step="plain")
    for rung in LADDER if ladder else ():
        prepared = rung.step(image_rgb if rung.full_size else work)
        if prepared is None:
            continue
        if payloads := read_zxing(prepared):
            return QrRead(payloads=payloads, reader="zxing", step=rung.name)
        if rung.with_zbar and read_zbar is not None and (payloads := read_zbar(prepared)):
            return QrRead(payloads=payloads, reader="zbar", step=rung.name)
    return None

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
    """The zbar reader, or None (logged once) when pyzbar or libzbar0 is missing."""
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
                wrapper.zbar_image_set_data(image, cast(pixels, c_void_p), len(pixels), None)
                wrapper.zbar_scan_image(scanner, image)
                symbols = pyzbar._decode_symbols(pyzbar._symbols_for_image(image))
                return tuple(symbol.data for symbol in symbols)

    return read_zbar


def to_gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def shrink(rgb: np.ndarray) -> np.ndarray | None:
    """Very large photos: the code's modules stay wide enough while noise and texture average
    out."""
    longest = max(rgb.shape[:2])
    if longest <= 2000:
        return None
    factor = 1200 / longest
    return cv2.resize(to_gray(rgb), None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)


def upscale(rgb: np.ndarray) -> np.ndarray | None:
    """Thumbnails: modules of 1-2 px are too thin for the finder-pattern search."""
    shortest = min(rgb.shape[:2])
    if shortest >= 600:
        return None
    factor = min(4.0, 600 / shortest)
    return cv2.resize(to_gray(rgb), None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)


def median(rgb: np.ndarray) -> np.ndarray:
    """Salt-and-pepper and sensor noise."""
    return cv2.medianBlur(to_gray(rgb), 3)


def sharpen(rgb: np.ndarray) -> np.ndarray:
    """Out-of-focus codes: an unsharp mask restores the module edges the blur spread out."""
    gray = to_gray(rgb)
    return cv2.addWeighted(gray, 2.5, cv2.GaussianBlur(gray, (0, 0), 2.0), -1.5, 0)


def clahe(rgb: np.ndarray) -> np.ndarray:
    """Washed-out or unevenly lit codes: stretch contrast locally."""
    return cv2.createCLAHE(clipLimit=4.0, tileGridSize=(8, 8)).apply(to_gray(rgb))


def adaptive_threshold(rgb: np.ndarray) -> np.ndarray:
    """Soft, dim codes: binarise against the local mean rather than the decoders' own estimate."""
    return cv2.adaptiveThreshold(
        to_gray(rgb), 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 31, 5
    )


def max_channel_blur(rgb: np.ndarray) -> np.ndarray:
    """Photos of screens: a lit pixel is bright in one subpixel colour; the max of the channels
    and a blur wider than the subpixel grid remove the moiré it aliases into."""
    return cv2.GaussianBlur(rgb.max(axis=2), (0, 0), 2.0)


_RECTIFIED_SIDE = 400
_RECTIFIED_MARGIN = 40


def rectify(rgb: np.ndarray) -> np.ndarray | None:
    """Strong perspective: OpenCV locates the code (it is not asked to decode, as it would mangle
    binary payloads) and the code is warped back to a square."""
    gray = to_gray(rgb)
    found, corners = cv2.QRCodeDetector().detect(gray)
    if not found or corners is None:
        return None
    lo, hi = _RECTIFIED_MARGIN, _RECTIFIED_MARGIN + _RECTIFIED_SIDE
    square = np.float32([[lo, lo], [hi, lo], [hi, hi], [lo, hi]])
    warp = cv2.getPerspectiveTransform(corners.reshape(4, 2).astype(np.float32), square)
    return cv2.warpPerspective(
        gray, warp, (hi + lo, hi + lo), flags=cv2.INTER_CUBIC, borderValue=255
    )


LADDER: tuple[tuple[str, Step], ...] = (
    ("shrink", shrink),
    ("upscale", upscale),
    ("median", median),
    ("sharpen", sharpen),
    ("clahe", clahe),
    ("adaptive_threshold", adaptive_threshold),
    ("max_channel_blur", max_channel_blur),
    ("rectify", rectify),
)
"""Retries in order, cheapest and most often useful first (measured by bench/bench_qr.py)."""


def read_qr(image_rgb: np.ndarray, *, ladder: bool = True, zbar: bool = True) -> QrRead | None:
    """Decode the QR codes in an RGB uint8 image, or None when there is none that reads."""
    if image_rgb.ndim != 3 or image_rgb.shape[2] != 3 or image_rgb.dtype != np.uint8:
        raise ValueError(f"expected RGB uint8 (H, W, 3), got {image_rgb.shape} {image_rgb.dtype}")
    readers: list[tuple[str, Reader]] = [("zxing", read_zxing)]
    zbar_read = zbar_reader() if zbar else None
    if zbar_read is not None:
        readers.append(("zbar", zbar_read))
    steps: tuple[tuple[str, Step], ...] = (("plain", to_gray),) + (LADDER if ladder else ())
    for step_name, step in steps:
        prepared = step(image_rgb)
        if prepared is None:
            continue
        for reader_name, read in readers:
            payloads = read(prepared)
            if payloads:
                return QrRead(payloads=payloads, reader=reader_name, step=step_name)
    return None

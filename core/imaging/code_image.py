"""Render a collection-code payload as the PNG a student downloads from CHSI.

Used to make the demo data's codes and the test uploads. The payload goes in byte mode, without
ECI, so any bytes (the real code is an encrypted binary token) come back out unchanged.
"""

from __future__ import annotations

import io

import segno


def render_code_png(payload: bytes, scale: int = 8, border: int = 4, error: str = "m") -> bytes:
    """PNG bytes of a black-on-white QR code holding ``payload``.

    ``scale`` is pixels per module, ``border`` the quiet zone in modules (4 is the QR standard's
    minimum), ``error`` the minimum error-correction level (segno raises it when it costs no size).
    """
    qr = segno.make_qr(payload, error=error, mode="byte")
    out = io.BytesIO()
    qr.save(out, kind="png", scale=scale, border=border)
    return out.getvalue()

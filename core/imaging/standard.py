"""The CHSI digital photo standard (教毕指[2017]99号), as numbers.

Every step that places, encodes or checks a photo reads its numbers from here, so the standard
lives in exactly one place.
"""

from __future__ import annotations

from core.domain.enums import Background as Background  # re-exported: imaging code reads it from the standard

WIDTH = 480
HEIGHT = 640
DPI = 300
MIN_JPEG_QUALITY = 60
MIN_FILE_BYTES = 20 * 1024
MAX_FILE_BYTES = 40 * 1024

HAIR_TOP_RANGE = (50, 110)
"""Top of the hair, in px below the top edge."""
EYE_LINE_RANGE = (200, 300)
"""Eye line, in px below the top edge."""
FACE_WIDTH_RANGE = (180, 300)
"""Face width cheek to cheek, in px."""


BACKGROUND_RGB: dict[Background, tuple[int, int, int]] = {b: b.rgb for b in Background}
"""The colours by background; the colours themselves are part of the shared word ``Background``."""

"""The CHSI digital photo standard (教毕指[2017]99号), as numbers.

Every step that places, encodes or checks a photo reads its numbers from here, so the standard
lives in exactly one place.
"""

from __future__ import annotations

from enum import Enum

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


class Background(str, Enum):
    """Background colours a collection task may ask for; blue is the reference."""

    BLUE = "blue"
    WHITE = "white"
    GREY = "grey"

    @property
    def rgb(self) -> tuple[int, int, int]:
        return BACKGROUND_RGB[self]


BACKGROUND_RGB: dict[Background, tuple[int, int, int]] = {
    Background.BLUE: (100, 197, 255),
    Background.WHITE: (255, 255, 255),
    Background.GREY: (240, 240, 240),
}

"""Photos on staff pages: read from the photo store by sha (content-addressed, so safe to cache by
sha), and the CHSI frame guides drawn over a standardised photo on demand.

Drawing two translucent bands with Pillow is display work; nothing here looks at the face.
"""

from __future__ import annotations

import base64
import io

import streamlit as st
from PIL import Image, ImageDraw

from core.errors import DomainError
from core.imaging.standard import EYE_LINE_RANGE, HAIR_TOP_RANGE, HEIGHT, WIDTH
from uikit.plain import plain
from workbench.context import photo_store
from workbench.i18n import lang, tr

HAIR_BAND_RGBA = (230, 30, 30, 60)
EYE_BAND_RGBA = (255, 215, 0, 70)
EDGE_ALPHA = 255
"""Red and yellow read on the blue, white and grey backgrounds alike; the band edges are opaque."""


def frame_guides(jpeg: bytes) -> bytes:
    """The photo with the head-top band (50–110 px) and the eye-line band (200–300 px) of the CHSI
    standard, scaled to the photo's size, as a JPEG."""
    with Image.open(io.BytesIO(jpeg)) as opened:
        image = opened.convert("RGBA")
    scale_y = image.height / HEIGHT
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for (top, bottom), rgba in ((HAIR_TOP_RANGE, HAIR_BAND_RGBA), (EYE_LINE_RANGE, EYE_BAND_RGBA)):
        y0, y1 = round(top * scale_y), round(bottom * scale_y)
        draw.rectangle((0, y0, image.width, y1), fill=rgba)
        for y in (y0, y1):
            draw.line((0, y, image.width, y), fill=rgba[:3] + (EDGE_ALPHA,), width=max(2, round(2 * image.width / WIDTH)))
    out = io.BytesIO()
    Image.alpha_composite(image, overlay).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


@st.cache_data(max_entries=400, show_spinner=False)
def cached_photo(sha: str, guides: bool = False) -> bytes:
    """A photo's bytes (with the frame guides drawn on request); raises DomainError if damaged."""
    data = photo_store().get(sha)
    return frame_guides(data) if guides else data


def show_photo(sha: str | None, caption: str, *, guides: bool = False, width: int | str = "content",
               missing: str | None = None) -> None:
    """One photo from the store, or a clear note when there is none or the file is damaged."""
    if sha is None:
        st.info(missing or tr("没有照片", "No photo"))
        return
    try:
        data = cached_photo(sha, guides)
    except DomainError as error:
        st.warning(plain(error.message(lang())))
        return
    st.image(data, caption=caption, width=width)


def guide_legend() -> str:
    return tr(
        f"红色：头顶应在 {HAIR_TOP_RANGE[0]}–{HAIR_TOP_RANGE[1]} px；黄色：眼睛应在 {EYE_LINE_RANGE[0]}–{EYE_LINE_RANGE[1]} px（自上而下）",
        f"Red: top of hair {HAIR_TOP_RANGE[0]}–{HAIR_TOP_RANGE[1]} px; yellow: eye line "
        f"{EYE_LINE_RANGE[0]}–{EYE_LINE_RANGE[1]} px from the top",
    )


@st.cache_data(max_entries=2000, show_spinner=False)
def thumbnail_uri(sha: str | None) -> str | None:
    """A thumbnail as a data URI, for image columns of tables (made by the worker, never here)."""
    if sha is None:
        return None
    try:
        return "data:image/jpeg;base64," + base64.b64encode(photo_store().get(sha)).decode("ascii")
    except DomainError:
        return None

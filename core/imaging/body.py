"""Step 4b: complete the body below the capture's end, so the shoulders run to the frame's bottom edge.

A capture that stops at the chest leaves the bottom rows of the CHSI frame empty, and a flat cut
with a band of background under it is not what a portrait looks like. The framing already needs as
little completion as the standard's ranges allow (``framing.plan_frame``); the rows still missing
are filled by continuing what the capture's last rows show:

- the silhouette's two outer edges keep their slope, turning gradually downward as a shoulder
  turns into the arm;
- each column keeps the colour of the clothing (or skin) just above it;
- a V of skin between clothing (a neckline) closes, at its own slope or at least ``NECKLINE_SLOPE``;
- noise as strong as the fine grain of the rows above is added, so the fill is not flat (their
  detail itself is not mirrored down: a neckline's edge or a tie's knot would be mirrored with it).

It runs on the cut frame before the background is replaced, with the person mask extended over
the completed rows, so that one edge refinement treats the real and the completed silhouette alike
and no seam is left where the capture ended.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np

from core.imaging.errors import TooLittleBody
from core.imaging.faces import face_width
from core.imaging.quality.regions import face_mask
from core.imaging.segmentation import PERSON
from core.imaging.standard import HEIGHT, WIDTH
from core.imaging.types import FoundFace

MAX_MISSING_FRACTION = 0.2
"""At most this share of the frame's height may be completed (128 px of 640): beyond it, too much
of the photo would be invented, and the student is asked to step back."""
MIN_BODY_BELOW_CHIN = 0.35
"""The capture must show at least this much below the chin, in face widths (the neck and the start
of the shoulders), for the body's outline and clothing to be continued at all."""
BAND_PX = 40
"""Rows above the capture's end that the continuation reads (outline slope, neckline, grain)."""
COLOUR_ROWS = 6
"""The last rows whose colour each column continues."""
OUTLINE_PX = 4
"""Pixels this close to the outline are not read for colour: half of each is the old background."""
EDGE_TURN_PX = 80.0
"""The outline's slope fades over about this many rows, as a shoulder's slope turns into the arm."""
MAX_EDGE_SLOPE = 2.0
"""Outward slope (px across per px down) beyond which an outline edge is taken to be this flat."""
SKIN_DISTANCE = 20.0
"""CIELAB distance (lightness counted half) from the face's median skin within which a pixel is skin."""
SKIN_EDGE_PX = 3
"""Pixels this close to skin are its edge (half skin, half cloth) and give the clothing no colour."""
NECKLINE_SLOPE = 0.5
"""Each side of an open neckline moves inward at least this much per row, so the V closes."""
NEAR_SMOOTH_PX, FAR_SMOOTH_PX = 7, 51
"""Each column's colour is the median over this many columns: narrow just below the capture, so the
completion meets it without a seam, wide further down, so a fold or a strand of hair in the last
rows does not run down the photo as a stripe (skin further down takes one colour)."""
FAR_PX = 16.0
"""Rows over which the narrow colour profile gives way to the wide one."""
GRAIN_SIGMA = 1.5
GRAIN_LIMIT = 12.0
"""Detail finer than GRAIN_SIGMA px is grain (sensor noise, the weave); stronger than this it is an
edge (a seam, the neckline) and does not count."""
GRAIN_SEED = 16
"""The grain is noise of the band's own strength."""


def require_completable(end_row: float, face: FoundFace, height: int) -> None:
    """Raises TooLittleBody when the capture, ending at output row ``end_row``, shows too little body."""
    missing = height - end_row
    allowed = MAX_MISSING_FRACTION * height
    chin = max(y for _, y in face.landmarks["chin"])
    if missing > allowed or end_row - chin < MIN_BODY_BELOW_CHIN * face_width(face):
        raise TooLittleBody(missing, allowed)


def complete_body(
    image_rgb: np.ndarray, person: np.ndarray, end_row: float, face: FoundFace,
    covered: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The frame with the body continued from output row ``end_row`` (where the capture stops) to
    the bottom edge, and the person mask (0..1) continued with it. ``face`` is in frame pixels;
    ``covered`` is the span of columns the capture covers (the whole width when None): a body cut
    by the capture's side is not widened past it."""
    height, width = image_rgb.shape[:2]
    start = int(np.floor(end_row)) - 1  # the last, partly covered row is redone too
    chin = max(y for _, y in face.landmarks["chin"])
    top = max(int(np.ceil(chin)) + 1, start - BAND_PX)
    if start >= height or start - top < COLOUR_ROWS:
        return image_rgb, person
    band = image_rgb[top:start].astype(np.float32)
    body = person[top:start] > PERSON
    if not body[-COLOUR_ROWS:].any():
        return image_rgb, person
    skin = _skin(band, _skin_reference(image_rgb, face)) & body

    rows = np.arange(start, height, dtype=np.float32) - (start - 1)  # 1, 2, ... below the last kept row
    columns = np.arange(width, dtype=np.float32)[None, :]
    side_first, side_last = (0.0, float(width)) if covered is None else covered
    left, right = _outline(body, rows, max(side_first, 0.0), min(side_last, float(width)) - 1)
    coverage = np.clip(columns - left[:, None] + 0.5, 0, 1) * np.clip(right[:, None] - columns + 0.5, 0, 1)

    # Colours are read a few pixels inside the outline, whose pixels are half background.
    colours, inner = band[-COLOUR_ROWS:], _inside_outline(body[-COLOUR_ROWS:])
    if not inner.any():
        inner = body[-COLOUR_ROWS:]
    bare = skin[-COLOUR_ROWS:] & inner
    skin_columns = cv2.morphologyEx(skin[-2:].astype(np.uint8), cv2.MORPH_CLOSE, np.ones((1, 5), np.uint8))
    skin_columns = skin_columns.mean(axis=0) >= 0.5  # where the capture ends, not rows above
    jaw = face.landmarks["chin"]
    under_jaw = (float(jaw[3][0]), float(jaw[13][0]))
    skin_share = _neckline(skin, body, rows, columns, skin_columns, under_jaw)[:, :, None]
    clothing_near, skin_near = _column_colours(colours, inner, bare, NEAR_SMOOTH_PX)
    clothing_far, skin_far = _column_colours(colours, inner, bare, FAR_SMOOTH_PX)
    if bare.any():  # further down, skin is one colour: its shading in the last rows would run as stripes
        skin_far = np.broadcast_to(np.median(colours[bare], axis=0), skin_far.shape)
    near = np.exp(-rows / FAR_PX)[:, None, None]
    clothing = near * clothing_near[None] + (1 - near) * clothing_far[None]
    skin_fill = near * skin_near[None] + (1 - near) * skin_far[None]
    fill = clothing * (1 - skin_share) + skin_fill * skin_share + _grain(band, body, (rows.size, width))

    out = image_rgb.copy()
    out[start:] = np.clip(fill + 0.5, 0, 255).astype(np.uint8)
    mask = person.copy()
    mask[start:] = coverage.astype(mask.dtype)
    return out, mask


def _skin_reference(image_rgb: np.ndarray, face: FoundFace) -> np.ndarray:
    """Median CIELAB colour of the face's skin, read at half resolution (a median needs no more)."""
    small = image_rgb[::2, ::2]
    half = FoundFace(box=face.box, landmarks={
        name: [(x / 2, y / 2) for x, y in points] for name, points in face.landmarks.items()
    })
    pixels = small[face_mask(small, half)]
    if pixels.size == 0:
        return np.array([60.0, 15.0, 20.0], np.float32)
    lab = cv2.cvtColor(pixels.reshape(1, -1, 3).astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    return np.median(lab.reshape(-1, 3), axis=0)


def _skin(band: np.ndarray, reference: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(band / 255.0, cv2.COLOR_RGB2LAB)
    difference = lab - reference
    difference[:, :, 0] *= 0.5
    return np.sqrt((difference**2).sum(axis=2)) < SKIN_DISTANCE


def _outline(body: np.ndarray, rows: np.ndarray, first: float, last: float) -> tuple[np.ndarray, np.ndarray]:
    """Left and right outline columns for each completed row, continued from the band and kept
    between columns ``first`` and ``last`` (the capture's sides inside the frame)."""
    width = body.shape[1]
    present = body.any(axis=1)
    band_rows = np.flatnonzero(present).astype(np.float32)
    lefts = body[present].argmax(axis=1).astype(np.float32)
    rights = (width - 1 - body[present][:, ::-1].argmax(axis=1)).astype(np.float32)
    turn = EDGE_TURN_PX * (1 - np.exp(-rows / EDGE_TURN_PX))
    edges = []
    for found, outward in ((lefts, -1.0), (rights, 1.0)):
        end = float(np.mean(found[-3:]))
        slope = _weighted_slope(band_rows, found) if found.size >= 4 else 0.0
        slope = outward * float(np.clip(outward * slope, 0.0, MAX_EDGE_SLOPE))
        edges.append(np.clip(end + slope * turn, first, last))
    return edges[0], edges[1]


def _weighted_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope with the rows nearest the capture's end counting most."""
    weights = np.linspace(0.2, 1.0, x.size)
    return float(np.polyfit(x, y, 1, w=weights)[0])


def _column_colours(
    last: np.ndarray, body: np.ndarray, skin: np.ndarray, smooth: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per column, the clothing colour and the skin colour of the last rows, each the median over
    ``smooth`` columns (gaps filled from the nearest columns that have one)."""
    near_skin = cv2.dilate(skin.astype(np.uint8), np.ones((1, 2 * SKIN_EDGE_PX + 1), np.uint8)).astype(bool)
    clothing = body & ~near_skin
    skin_colour = _fill_columns(last, skin, smooth) if skin.any() else None
    clothing_colour = _fill_columns(last, clothing, smooth) if clothing.any() else skin_colour
    if clothing_colour is None:  # neither: the body's colour, whatever it is
        clothing_colour = _fill_columns(last, body, smooth)
    return clothing_colour, clothing_colour if skin_colour is None else skin_colour


def _fill_columns(last: np.ndarray, which: np.ndarray, smooth: int) -> np.ndarray:
    """Mean colour per column over the pixels in ``which``, columns without any interpolated from
    their neighbours, then the median over ``smooth`` columns."""
    width = last.shape[1]
    count = which.sum(axis=0)
    known = np.flatnonzero(count > 0)
    means = (last * which[:, :, None]).sum(axis=0)[known] / count[known][:, None]
    colour = np.empty((1, width, 3), np.uint8)
    for channel in range(3):
        colour[0, :, channel] = np.clip(np.interp(np.arange(width), known, means[:, channel]) + 0.5, 0, 255)
    return cv2.medianBlur(colour, smooth)[0].astype(np.float32)


def _neckline(skin: np.ndarray, body: np.ndarray, rows: np.ndarray, columns: np.ndarray,
              skin_columns: np.ndarray, under_jaw: tuple[float, float]) -> np.ndarray:
    """Share (0..1) of skin per completed pixel. The widest run of skin under the jaw (between the
    columns ``under_jaw``) closes as a neckline when clothing lies on both sides of it, and runs on
    down when it reaches the outline (an open collar, bare shoulders), as does any other run that
    reaches the outline; a patch of skin colour inside the clothing (a print, a buckle) is clothing."""
    width = skin.shape[1]
    share = np.zeros((rows.size, width), np.float32)
    runs = _runs(skin_columns)
    under = [(a, b) for a, b in runs if a <= under_jaw[1] and b >= under_jaw[0]]
    neck = max(under, key=lambda run: run[1] - run[0], default=None)
    for a, b in runs:
        bounded = a > 0 and b < width - 1 and body[-1, max(a - 3, 0)] and body[-1, min(b + 3, width - 1)]
        if not bounded:
            share[:, a : b + 1] = 1.0
            continue
        if (a, b) != neck:
            continue
        sides = _run_sides(skin, body, a, b)
        if sides is None:
            left_slope, right_slope = NECKLINE_SLOPE, -NECKLINE_SLOPE
        else:
            band_rows, lefts, rights = sides
            left_slope = max(_weighted_slope(band_rows, lefts), NECKLINE_SLOPE)
            right_slope = min(_weighted_slope(band_rows, rights), -NECKLINE_SLOPE)
        left = a - 0.5 + left_slope * rows
        right = b + 0.5 + right_slope * rows
        inside = np.clip(columns - left[:, None] + 0.5, 0, 1) * np.clip(right[:, None] - columns + 0.5, 0, 1)
        share[:, a : b + 1] = inside[:, a : b + 1]
    return share


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    changes = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b) - 1) for a, b in zip(changes[::2], changes[1::2], strict=False)]


def _run_sides(skin: np.ndarray, body: np.ndarray, a: int, b: int) -> tuple[np.ndarray, ...] | None:
    """The neckline's two sides in each band row (the skin run around the last row's run [a, b])."""
    centre = (a + b) // 2
    band_rows, lefts, rights = [], [], []
    for row in range(skin.shape[0]):
        line = skin[row]
        if not line[centre]:
            continue
        off = np.flatnonzero(~line[:centre])
        left = int(off[-1]) + 1 if off.size else 0
        off = np.flatnonzero(~line[centre:])
        right = centre + int(off[0]) - 1 if off.size else line.size - 1
        if left > 0 and right < line.size - 1 and body[row, left - 1] and body[row, right + 1]:
            band_rows.append(row)
            lefts.append(left)
            rights.append(right)
    if len(band_rows) < 4:
        return None
    return np.array(band_rows, np.float32), np.array(lefts, np.float32), np.array(rights, np.float32)


def _inside_outline(body: np.ndarray) -> np.ndarray:
    """The body without the pixels next to its outline (half of each is the old background)."""
    return cv2.erode(body.view(np.uint8), np.ones((1, 2 * OUTLINE_PX + 1), np.uint8)).view(bool)


def _grain(band: np.ndarray, body: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Noise as strong as the band's own fine grain inside the body (per channel), for the completion."""
    detail = band - cv2.GaussianBlur(band, (0, 0), GRAIN_SIGMA)
    keep = body & (np.abs(detail).max(axis=2) <= GRAIN_LIMIT)
    if not keep.any():
        return np.zeros((*shape, 3), np.float32)
    strength = cv2.meanStdDev(detail, mask=keep.view(np.uint8))[1].reshape(3).astype(np.float32)
    rows, width = shape
    noise = _unit_noise()
    if rows > noise.shape[0] or width > noise.shape[1]:
        noise = np.random.default_rng(GRAIN_SEED).standard_normal((rows, width, 3), dtype=np.float32)
    return noise[:rows, :width] * strength


@cache
def _unit_noise() -> np.ndarray:
    """Unit Gaussian noise over the largest completion there can be, drawn once (the same for every
    photo: a repeatable result, and no random draw per photo)."""
    rows = int(np.ceil(MAX_MISSING_FRACTION * HEIGHT)) + 2
    noise = np.random.default_rng(GRAIN_SEED).standard_normal((rows, WIDTH, 3), dtype=np.float32)
    noise.flags.writeable = False
    return noise

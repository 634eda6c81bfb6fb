"""Periodic texture where a live face has none: the halftone dots of a print, the pixel grid of a screen.

A face photographed directly has no repeating pattern on the skin: its spectrum falls off smoothly
from low to high frequencies. A printed face carries the printer's dot screens (four inks, each a
regular lattice at its own angle) and a screen's face the grid of its R, G, B subpixels. The phone's
sensor and its downscale sample those lattices too coarsely, so they arrive as moiré: faint or
strong, but always as narrow peaks in the spectrum, standing above their neighbourhood.

Measured on the capture as decoded (the pipeline's ``capture.rgb``), in a square on the face from
the brows to the mouth and cheek to cheek: up to 4 × 4 tiles of 64×64 px spread over it, each tile's
luma and two colour-opponent channels windowed (Hann) and transformed, and each bin's power taken as
its median over the tiles (Welch's method with the median: a pattern covering the whole face
survives it, an eye or a nostril in one tile does not), which steadies the spectrum so that a single
bin's height means something. Each bin's log power is compared with the median of its 5×5
neighbourhood; the score is the highest such excess in the band where a print's or screen's pattern
can land (1/16 to 1/2 cycle per pixel), leaving out the 8-pixel JPEG block grid's frequencies
(multiples of 1/8 cycle per pixel on both axes, ±1 bin), which every phone photo carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np
import scipy.fft

from core.imaging.faces import face_width
from core.imaging.types import FoundFace

__all__ = ["MoireMeasure", "face_square", "measure_moire", "periodic_peak"]

TILE = 64
GRID = 4
"""At most 4 × 4 tiles are read, spread over the square: a large face costs no more than a small one."""
MIN_TILES = 4
LOWEST = TILE / 16
"""The band starts at 1/16 cycle per pixel: below it lie the face's own features and, in frames cut
from video, the codec's 16-pixel macroblock grid (enlarged 2× in a Retina screenshot among the
fixtures, ``faces/alex_lacamoire/3.png``), which stand out from a 5×5 neighbourhood as much as moiré."""
"""Below this many tiles (a face under ~100 px wide) the spectrum is too unsteady to read."""


@dataclass(frozen=True)
class MoireMeasure:
    peak: float
    """Highest excess of a spectral bin over its neighbourhood, natural log of the power ratio."""
    tiles: int
    """How many 64×64 tiles were averaged (0: the face was too small to measure)."""


@cache
def _window() -> np.ndarray:
    hann = np.hanning(TILE).astype(np.float32)
    return np.outer(hann, hann)


@cache
def _band() -> np.ndarray:
    """Mask of the (centred) spectrum's bins that are read: inside the band, off the JPEG grid."""
    f = np.fft.fftshift(np.fft.fftfreq(TILE)) * TILE
    fy, fx = f[:, None], f[None, :]
    radius = np.hypot(fy, fx)
    band = (radius >= LOWEST) & (radius <= TILE / 2)
    block = TILE // 8

    def near_grid(g: np.ndarray) -> np.ndarray:
        return np.abs(g - np.round(g / block) * block) <= 1

    return band & ~(near_grid(fy) & near_grid(fx))


def _channels(rgb: np.ndarray) -> np.ndarray:
    """Luma and two colour-opponent channels, float32, (3, h, w)."""
    x = rgb.astype(np.float32)
    r, g, b = x[:, :, 0], x[:, :, 1], x[:, :, 2]
    return np.stack([0.299 * r + 0.587 * g + 0.114 * b, r - g, 0.5 * (r + g) - b])


def face_square(face: FoundFace, size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1): cheek to cheek, from the brows to the mouth, clipped to the picture."""
    lm = face.landmarks
    chin = np.array(lm["chin"])
    brows = np.array(lm["left_eyebrow"] + lm["right_eyebrow"])
    mouth = np.array(lm["top_lip"])
    width = face_width(face)
    cx = float((chin[0, 0] + chin[16, 0]) / 2)
    x0, x1 = cx - 0.4 * width, cx + 0.4 * width
    y0, y1 = float(brows[:, 1].mean()), float(mouth[:, 1].mean())
    w, h = size
    x0, y0, x1, y1 = max(int(x0), 0), max(int(y0), 0), min(int(x1), w), min(int(y1), h)
    if x1 - x0 < TILE or y1 - y0 < TILE:
        return None
    return x0, y0, x1, y1


def _starts(length: int) -> np.ndarray:
    """Tile offsets along one side: up to ``GRID`` of them, spread evenly, at least half a tile apart."""
    count = int(np.clip(round((length - TILE) / (TILE / 2)) + 1, 1, GRID))
    return np.linspace(0, length - TILE, count).round().astype(int)


def _spectrum(channels: np.ndarray) -> tuple[np.ndarray, int]:
    """Median power over the tiles, per channel, DC in the centre: (3, TILE, TILE)."""
    _, h, w = channels.shape
    tiles = np.stack([channels[:, y : y + TILE, x : x + TILE] for y in _starts(h) for x in _starts(w)])
    tiles -= tiles.mean(axis=(2, 3), keepdims=True)
    half = np.abs(scipy.fft.rfft2(tiles * _window(), workers=1)) ** 2  # float32 in, complex64 out
    median = np.median(half, axis=0)
    # A real signal's spectrum is symmetric: P(-fy, -fx) = P(fy, fx) fills the other half-plane.
    mirrored = median[:, (-np.arange(TILE)) % TILE][:, :, TILE - np.arange(TILE // 2 + 1, TILE)]
    full = np.concatenate([median, mirrored], axis=2)
    return np.fft.fftshift(full, axes=(1, 2)).astype(np.float32), len(tiles)


def measure_moire(image_rgb: np.ndarray, face: FoundFace) -> MoireMeasure:
    """The periodic-peak score of the skin between the brows and the mouth."""
    square = face_square(face, (image_rgb.shape[1], image_rgb.shape[0]))
    if square is None:
        return MoireMeasure(peak=0.0, tiles=0)
    x0, y0, x1, y1 = square
    return periodic_peak(image_rgb[y0:y1, x0:x1])


def periodic_peak(region_rgb: np.ndarray) -> MoireMeasure:
    """The highest spectral peak of ``region_rgb`` (at least 64×64) above its neighbourhood."""
    power, tiles = _spectrum(_channels(region_rgb))
    if tiles < MIN_TILES:
        return MoireMeasure(peak=0.0, tiles=tiles)
    band = _band()
    best = 0.0
    for channel in power:
        log = np.log(channel + 1e-3)
        excess = (log - cv2.medianBlur(log, 5))[band]
        best = max(best, float(excess.max()))
    return MoireMeasure(peak=best, tiles=tiles)

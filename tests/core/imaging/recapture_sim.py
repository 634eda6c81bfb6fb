"""Re-photographed portraits (翻拍), simulated from real ones, for the re-photograph flag's bench and tests.

Every kind ends the way a phone delivers a capture: a sensor twice the delivered resolution
(1920×2560), lens blur (Gaussian σ 0.6–1.2 sensor px), sensor noise, gamma, the ISP's area
downscale to the delivered 960×1280 (WeChat's compressed size; the pipeline bench uses the same
size) and a JPEG at quality 80–92. What differs is what stands in front of the lens:

``camera``
    The control: the portrait itself, slightly tilted, through the same camera. No attack; it tells
    whether a detector reacts to the simulated camera (blur, noise, resampling, JPEG) instead of to
    the print or the screen.
``print``
    A print of the portrait, 3.5–6 in wide, made as an offset or laser printer does: converted to
    CMYK (partial grey replacement), each ink an amplitude-modulated round-dot screen at 133–175 lpi
    at the classic angles (C 15°, M 75°, Y 0°, K 45°), dots anti-aliased to the sensor pixel; inks
    multiply on paper white with fibre texture (2–3 % noise, σ ≈ 1.5 sensor px) and uneven light;
    held 2–6 % off square (perspective), filling 70–95 % of the frame's width over a smooth desk or
    wall. At the delivered size the dots repeat every 1.1–1.7 px, beyond what the pixels resolve, so
    they survive only as faint aliased patterns and a loss of fine detail.
``print_glare``
    The same print, glossy, tilted 5–12 %, with a specular spot (a bright, colourless Gaussian of
    8–20 % of the frame width) on or near the face.
``screen``
    The portrait shown on a laptop or phone screen: resampled to the screen's own pixels (0.6–1.3×
    its size, bilinear), each pixel three vertical R, G, B stripes with a black matrix between them
    and between rows, emitted light with a display gamma of 2.2 and a cool white point, the ambient
    light's reflection as a 2–6 % veil; 1.4–4 sensor px per screen pixel (0.7–2 delivered px: a phone
    screen close up to a laptop from arm's length), so the stripe grid aliases into moiré on the
    sensor and again on the downscale. A dark bezel frames it. PenTile/diamond OLED layouts are not
    modelled.
``screen_glare``
    The same screen tilted 5–12 % with a reflection of a window or lamp (a broad bright patch) on it.

Shared by ``bench/bench_recapture.py`` and ``tests/core/imaging/test_recapture.py`` so both measure
the same set, generated in memory from a seed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np

DELIVERED = (960, 1280)
"""(width, height) of the simulated phone capture."""
SENSOR_FACTOR = 2
SENSOR = (DELIVERED[0] * SENSOR_FACTOR, DELIVERED[1] * SENSOR_FACTOR)


def _srgb_to_linear(x: np.ndarray) -> np.ndarray:
    return np.power(x, 2.2, dtype=np.float32)


def _linear_to_srgb(x: np.ndarray) -> np.ndarray:
    return np.power(np.clip(x, 0, 1), 1 / 2.2, dtype=np.float32)


def _scene(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A smooth, softly coloured background (desk, wall, sofa), linear light, float32."""
    w, h = size
    coarse = rng.uniform(0.15, 0.7, size=(4, 3, 3)).astype(np.float32)
    return cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC).clip(0.02, 1)


def _placement(content: tuple[float, float], fill: float, tilt: float, rng: np.random.Generator,
               centre_y: float = 0.45) -> np.ndarray:
    """Homography from content coordinates (w, h units) to sensor pixels: the content fills ``fill``
    of the sensor's width, centred with a little play, its corners moved by up to ``tilt`` of its size."""
    cw, ch = content
    sw, sh = SENSOR
    width = fill * sw
    height = width * ch / cw
    cx = sw / 2 + rng.uniform(-0.03, 0.03) * sw
    cy = sh * centre_y + rng.uniform(-0.03, 0.03) * sh
    quad = np.array([[cx - width / 2, cy - height / 2], [cx + width / 2, cy - height / 2],
                       [cx + width / 2, cy + height / 2], [cx - width / 2, cy + height / 2]], np.float32)
    quad += rng.uniform(-tilt, tilt, size=(4, 2)).astype(np.float32) * [width, height]
    src = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], np.float32)
    return cv2.getPerspectiveTransform(src, quad)


def _content_coordinates(homography: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.float32]:
    """For every sensor pixel: the content coordinates (u, v) it sees, and the content units per
    sensor pixel (for anti-aliasing edges)."""
    sw, sh = SENSOR
    inverse = np.linalg.inv(homography).astype(np.float32)
    xs = np.arange(sw, dtype=np.float32)[None, :]
    ys = np.arange(sh, dtype=np.float32)[:, None]
    den = 1 / (inverse[2, 0] * xs + inverse[2, 1] * ys + inverse[2, 2])
    u = (inverse[0, 0] * xs + inverse[0, 1] * ys + inverse[0, 2]) * den
    v = (inverse[1, 0] * xs + inverse[1, 1] * ys + inverse[1, 2]) * den
    step = np.float32(np.sqrt(abs(np.linalg.det(inverse[:2, :2]))) * float(den[sh // 2, sw // 2]))
    return u, v, step


def _inside(u: np.ndarray, v: np.ndarray, size: tuple[float, float]) -> np.ndarray:
    return ((u >= 0) & (u < size[0]) & (v >= 0) & (v < size[1])).astype(np.float32)


def _sample(image: np.ndarray, u: np.ndarray, v: np.ndarray, scale: float, nearest: bool = False) -> np.ndarray:
    """``image`` (pixels = ``scale`` content units each) seen at content coordinates (u, v)."""
    interpolation = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    if nearest:
        return cv2.remap(image, np.floor(u / scale), np.floor(v / scale), interpolation,
                         borderMode=cv2.BORDER_REPLICATE)
    return cv2.remap(image, u / scale - 0.5, v / scale - 0.5, interpolation, borderMode=cv2.BORDER_REPLICATE)


def _glare(light: np.ndarray, rng: np.random.Generator, *, radius: tuple[float, float], strength: tuple[float, float],
           within: np.ndarray, near: tuple[float, float] = (0.5, 0.4)) -> np.ndarray:
    """A bright, colourless reflection on the print or screen (``within``)."""
    sh, sw = light.shape[:2]
    r = rng.uniform(*radius) * sw
    cx = (near[0] + rng.uniform(-0.2, 0.2)) * sw
    cy = (near[1] + rng.uniform(-0.15, 0.15)) * sh
    ys, xs = np.ogrid[:sh, :sw]
    spot = np.exp(-(((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * r * r))).astype(np.float32)
    return light + np.float32(rng.uniform(*strength)) * spot[:, :, None] * within


def _camera(linear: np.ndarray, rng: np.random.Generator) -> bytes:
    """Sensor light (linear RGB, float32, sensor size) to the delivered JPEG."""
    exposure = 0.85 / max(float(np.percentile(linear[::7, ::7], 99.5)), 1e-3)
    img = np.asarray(cv2.GaussianBlur(linear, (0, 0), rng.uniform(0.6, 1.2)), np.float32) * np.float32(exposure)
    shot = np.sqrt(np.clip(img, 0, None)) * np.float32(rng.uniform(0.004, 0.01)) + np.float32(0.002)
    img = img + rng.standard_normal(img.shape, dtype=np.float32) * shot
    delivered = np.asarray(cv2.resize(_linear_to_srgb(img), DELIVERED, interpolation=cv2.INTER_AREA)) * 255
    encoded = cv2.imencode(".jpg", np.clip(delivered, 0, 255).astype(np.uint8)[:, :, ::-1],
                           [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(80, 93))])[1]
    return encoded.tobytes()


def camera(portrait: np.ndarray, rng: np.random.Generator) -> bytes:
    """The control: the person photographed directly by the simulated phone (the portrait cut to
    the frame's 3:4, filling it)."""
    h, w = portrait.shape[:2]
    side = (w - h * 3 // 4) // 2
    portrait = portrait[:, side : w - side] if side > 0 else portrait
    h, w = portrait.shape[:2]
    homography = _placement((w, h), rng.uniform(1.03, 1.1), 0.01, rng, centre_y=0.5)
    u, v, _ = _content_coordinates(homography)
    person = _sample(_srgb_to_linear(portrait.astype(np.float32) / 255), u, v, 1.0)
    return _camera(person, rng)


INKS = np.array([[0.05, 0.55, 0.85], [0.85, 0.10, 0.45], [0.95, 0.90, 0.06], [0.03, 0.03, 0.03]], np.float32)
"""Linear reflectance of cyan, magenta, yellow and black ink on white."""
ANGLES = np.deg2rad([15.0, 75.0, 0.0, 45.0])


def _cmyk(rgb: np.ndarray) -> np.ndarray:
    """Ink coverages (0..1) of a gamma-encoded RGB image, with partial grey replacement."""
    cmy = 1 - rgb
    k = cmy.min(axis=2, keepdims=True) * 0.6
    return np.concatenate([(cmy - k) / np.maximum(1 - k, 1e-3), k], axis=2)


def _printed(portrait: np.ndarray, rng: np.random.Generator, tilt: float, glare: bool) -> bytes:
    h, w = portrait.shape[:2]
    inches = rng.uniform(3.5, 6.0)
    size = (inches, inches * h / w)
    lpi = rng.uniform(133, 175)
    homography = _placement(size, rng.uniform(0.7, 0.95), tilt, rng)
    u, v, step = _content_coordinates(homography)
    inside = _inside(u, v, size)
    rows, cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    u, v = u[box], v[box]  # the halftone is only worked out where the print is
    coverage = _sample(_cmyk(portrait.astype(np.float32) / 255), u, v, inches / w)
    fibre = 1 + 0.075 * cv2.GaussianBlur(rng.standard_normal(u.shape, dtype=np.float32), (0, 0), 1.5)
    reflect = np.array([0.92, 0.91, 0.88], np.float32) * fibre[:, :, None]
    soft = np.float32(1 / max(float(step) * lpi * np.pi, 1e-3))  # spot-function change per sensor pixel
    k = np.float32(2 * np.pi * lpi)
    for ink in range(4):
        c, s_ = np.float32(np.cos(ANGLES[ink])) * k, np.float32(np.sin(ANGLES[ink])) * k
        spot = np.cos(u * c + v * s_)
        spot += np.cos(v * c - u * s_)
        spot *= 0.5
        spot -= 1 - 2 * coverage[:, :, ink]
        spot *= soft
        spot += 0.5
        np.clip(spot, 0, 1, out=spot)
        for channel in range(3):
            reflect[:, :, channel] *= 1 - spot * (1 - INKS[ink, channel])
    light = np.float32(rng.uniform(0.8, 1.0)) * np.linspace(1 - rng.uniform(0, 0.15), 1, SENSOR[0],
                                                             dtype=np.float32)[None, :, None]
    linear = _scene(SENSOR, rng)
    mask = inside[box][:, :, None]
    linear[box] = reflect * light[:, box[1]] * mask + linear[box] * (1 - mask)
    if glare:
        linear = _glare(linear, rng, radius=(0.08, 0.2), strength=(0.3, 0.7), within=inside[:, :, None])
    return _camera(linear, rng)


def printed(portrait: np.ndarray, rng: np.random.Generator) -> bytes:
    return _printed(portrait, rng, rng.uniform(0.02, 0.06), glare=False)


def printed_glare(portrait: np.ndarray, rng: np.random.Generator) -> bytes:
    return _printed(portrait, rng, rng.uniform(0.05, 0.12), glare=True)


def _screen(portrait: np.ndarray, rng: np.random.Generator, tilt: float, glare: bool) -> bytes:
    h, w = portrait.shape[:2]
    zoom = rng.uniform(0.6, 1.3)
    shown = cv2.resize(portrait, (round(w * zoom), round(h * zoom)), interpolation=cv2.INTER_LINEAR)
    sh_, sw_ = shown.shape[:2]
    sensor_per_pixel = rng.uniform(1.4, 4.0)
    fill = min(sw_ * sensor_per_pixel / SENSOR[0], 0.98)
    bezel = 0.04 * sw_
    homography = _placement((sw_ + 2 * bezel, sh_ + 2 * bezel), fill * (sw_ + 2 * bezel) / sw_, tilt, rng)
    u, v, step = _content_coordinates(homography)
    u, v = u - bezel, v - bezel
    emitted = _srgb_to_linear(shown.astype(np.float32) / 255) * np.array([0.95, 1.0, 1.08], np.float32)
    pixel = _sample(emitted, u, v, 1.0, nearest=True)
    fu, fv = u - np.floor(u), v - np.floor(v)
    soft = max(float(step), 0.05)
    row = np.clip((0.45 - np.abs(fv - 0.5)) / soft + 0.5, 0, 1)
    stripes = []
    for centre in (1 / 6, 1 / 2, 5 / 6):
        stripes.append(np.clip((0.13 - np.abs(fu - centre)) / soft + 0.5, 0, 1) * row)
    linear = pixel * np.stack(stripes, axis=2) / np.float32(0.26 * 0.9)  # stripe and row fill factors
    inside = _inside(u, v, (sw_, sh_))[:, :, None]
    frame = _inside(u + bezel, v + bezel, (sw_ + 2 * bezel, sh_ + 2 * bezel))[:, :, None]
    veil = np.float32(rng.uniform(0.02, 0.06))
    linear = linear * inside + veil * frame
    if glare:
        linear = _glare(linear, rng, radius=(0.15, 0.3), strength=(0.15, 0.4), within=frame,
                        near=(rng.uniform(0.2, 0.8), 0.3))
    scene = _scene(SENSOR, rng)
    return _camera(linear * frame + scene * (1 - frame), rng)


def screen(portrait: np.ndarray, rng: np.random.Generator) -> bytes:
    return _screen(portrait, rng, rng.uniform(0.0, 0.04), glare=False)


def screen_glare(portrait: np.ndarray, rng: np.random.Generator) -> bytes:
    return _screen(portrait, rng, rng.uniform(0.05, 0.12), glare=True)


KINDS: dict[str, Callable[[np.ndarray, np.random.Generator], bytes]] = {
    "camera": camera,
    "print": printed,
    "print_glare": printed_glare,
    "screen": screen,
    "screen_glare": screen_glare,
}
ATTACKS = [k for k in KINDS if k != "camera"]


@dataclass(frozen=True)
class Sample:
    kind: str
    source: str
    jpeg: bytes
    """The capture as the phone delivers it."""


def samples(portraits: list[tuple[str, np.ndarray]], kinds: list[str], seed: int) -> Iterator[Sample]:
    """Each portrait through each kind, every one with its own generator drawn from ``seed``."""
    root = np.random.default_rng(seed)
    for name, portrait in portraits:
        for kind in kinds:
            rng = np.random.default_rng(root.integers(2**63))
            yield Sample(kind, name, KINDS[kind](portrait, rng))

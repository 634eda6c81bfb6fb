"""Collection-code uploads degraded the ways real uploads are, generated in memory from a seed.

Each kind is a function ``(code_rgb, rng) -> rgb`` taking the clean downloaded code image (see
``render_code_png``, 8 px per module). Shared by the tests and ``bench/bench_qr.py`` so that both
measure the same set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from core.imaging.code_image import render_code_png
from core.imaging.collection_code import CollectionCode, encode_demo_code

SCALE = 8
"""Pixels per module of the clean code image the degradations start from."""

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红云飞鹏宇浩然欣怡子涵梓轩"


def sample_code(rng: np.random.Generator) -> CollectionCode:
    """A random, well-formed demo collection code."""
    masked = rng.choice(list(_SURNAMES)) + "*"
    if rng.random() < 0.7:
        masked += rng.choice(list(_GIVEN))
    last = "X" if rng.random() < 0.1 else str(rng.integers(0, 10))
    return CollectionCode(
        school_code=f"{rng.integers(10001, 14999):05d}",
        student_number=str(rng.integers(10**9, 10**12)),
        masked_name=masked,
        id_last4=f"{rng.integers(0, 1000):03d}{last}",
    )


def clean_code_rgb(payload: bytes) -> np.ndarray:
    png = render_code_png(payload, scale=SCALE)
    gray = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)


def _resize(img: np.ndarray, factor: float) -> np.ndarray:
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    return cv2.resize(img, None, fx=factor, fy=factor, interpolation=interpolation)


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def _to_uint8(img: np.ndarray) -> np.ndarray:
    return np.clip(img, 0, 255).astype(np.uint8)


def _scene(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A cluttered, smoothly varying colour background (desk, wall, clothes)."""
    coarse = rng.integers(40, 230, size=(6, 8, 3)).astype(np.uint8)
    smooth = cv2.resize(coarse, (w // 8 + 1, h // 8 + 1), interpolation=cv2.INTER_CUBIC)
    return cv2.resize(smooth, (w, h), interpolation=cv2.INTER_LINEAR)


def _random_quad(w: int, h: int, jitter: float, rng: np.random.Generator) -> np.ndarray:
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    return corners + rng.uniform(-jitter, jitter, size=(4, 2)).astype(np.float32) * [w, h]


def _paste_warped(
    canvas: np.ndarray, img: np.ndarray, dst: np.ndarray, interpolation: int = cv2.INTER_LINEAR
) -> np.ndarray:
    """Warp ``img`` onto ``canvas`` so that its corners land on ``dst`` (4x2, canvas pixels)."""
    h, w = img.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    x0, y0 = np.floor(dst.min(axis=0)).astype(int)
    x1, y1 = np.ceil(dst.max(axis=0)).astype(int)
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, canvas.shape[1]), min(y1, canvas.shape[0])
    m = cv2.getPerspectiveTransform(src, (dst - [x0, y0]).astype(np.float32))
    size = (x1 - x0, y1 - y0)
    warped = cv2.warpPerspective(img, m, size, flags=interpolation)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, size, flags=cv2.INTER_LINEAR)
    region = canvas[y0:y1, x0:x1].astype(np.float32)
    alpha = (mask.astype(np.float32) / 255)[:, :, None]
    canvas[y0:y1, x0:x1] = _to_uint8(warped * alpha + region * (1 - alpha))
    return canvas


def small(code: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A thumbnail: 1.0-2.0 px per module."""
    return _resize(code, rng.uniform(1.0, 2.0) / SCALE)


def rotated(code: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Any angle, 2-5 px per module, on a plain background."""
    img = _resize(code, rng.uniform(2, 5) / SCALE)
    h, w = img.shape[:2]
    side = int(np.hypot(h, w)) + 20
    m = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(0, 360), 1.0)
    m[:, 2] += [(side - w) / 2, (side - h) / 2]  # type: ignore[misc]  # OpenCV stubs type the matrix as integer-or-float
    fill = tuple(int(v) for v in rng.integers(150, 256, 3))
    return cv2.warpAffine(img, m, (side, side), flags=cv2.INTER_LINEAR, borderValue=fill)


def perspective(code: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Seen at an angle: corners moved by up to 25 % of the side, 2.5-5 px per module."""
    img = _resize(code, rng.uniform(2.5, 5) / SCALE)
    h, w = img.shape[:2]
    margin = int(0.3 * w)
    canvas = _scene(h + 2 * margin, w + 2 * margin, rng)
    dst = _random_quad(w, h, 0.25, rng) + margin
    return _paste_warped(canvas, img, dst)


def jpeg_q20(code: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Recompressed at JPEG quality 20 after a resize to 1.5-3 px per module."""
    return _jpeg(_resize(code, rng.uniform(1.5, 3) / SCALE), 20)


def blur(code: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Out of focus: Gaussian blur of 0.3-0.6 module at 3-6 px per module."""
    module = rng.uniform(3, 6)
    img = _resize(code, module / SCALE)
    return cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 0.6) * module)


def low_contrast(code: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A washed-out code: 14-40 grey levels between dark and light, under uneven light."""
    img = _resize(code, rng.uniform(3, 6) / SCALE).astype(np.float32) / 255
    base, span = rng.uniform(60, 190), rng.uniform(14, 40)
    _h, w = img.shape[:2]
    light = np.linspace(0, rng.uniform(-20, 20), w, dtype=np.float32)[None, :, None]
    out = base + span * img + light + rng.normal(0, 1.5, img.shape)
    return _to_uint8(out)


def noise(code: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sensor noise: Gaussian sigma 40-75 plus 1-4 % salt and pepper, at 3-5 px per module."""
    img = _resize(code, rng.uniform(3, 5) / SCALE).astype(np.float32)
    img += rng.normal(0, rng.uniform(40, 75), img.shape)
    speckle = rng.random(img.shape[:2]) < rng.uniform(0.01, 0.04)
    img[speckle] = rng.choice([0, 255], size=(int(speckle.sum()), 1))
    return _to_uint8(img)


_PHONE_SCREENS = [(1080, 2340), (1170, 2532), (750, 1334), (1080, 1920)]


def _phone_screen(
    code: np.ndarray, rng: np.random.Generator, code_width: int, size: tuple[int, int]
) -> np.ndarray:
    """A phone screen ``size`` (w, h), the CHSI page in WeChat, showing the code."""
    w, h = size
    screen = np.full((h, w, 3), 245, np.uint8)
    header = tuple(int(v) for v in rng.integers(0, 256, 3))
    cv2.rectangle(screen, (0, 0), (w, int(0.1 * h)), header, -1)
    y = int(0.13 * h)
    for _ in range(int(rng.integers(3, 7))):
        line_w = int(rng.uniform(0.3, 0.9) * w)
        cv2.rectangle(screen, (40, y), (40 + line_w, y + 24), (90, 90, 90), -1)
        y += 50
    qr = cv2.resize(code, (code_width, code_width), interpolation=cv2.INTER_LINEAR)
    x0 = (w - code_width) // 2
    y0 = min(y + 30, h - code_width - 10)
    screen[y0 : y0 + code_width, x0 : x0 + code_width] = qr
    cv2.rectangle(screen, (0, h - 120), (w, h), (250, 250, 250), -1)
    for i in range(4):
        cx = int((i + 0.5) * w / 4)
        cv2.circle(screen, (cx, h - 60), 22, (160, 160, 160), -1)
    return screen


def screenshot(code: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A phone screenshot of the code page, shrunk and recompressed by a chat app."""
    screen = _phone_screen(
        code, rng, int(rng.uniform(250, 600)), _PHONE_SCREENS[int(rng.integers(0, 4))]
    )
    return _jpeg(_resize(screen, rng.uniform(0.25, 0.8)), int(rng.integers(50, 90)))


def screen_moire(code: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A photo of a phone screen: subpixel grid aliased into moiré, tilt, glare, noise, JPEG."""
    screen = _phone_screen(code, rng, int(rng.uniform(216, 360)), (540, 960))
    sub = np.zeros((screen.shape[0] * 3, screen.shape[1] * 3, 3), np.uint8)
    for c in range(3):
        sub[:, c::3, c] = np.repeat(screen[:, :, c], 3, axis=0)
    sub[2::3] //= 3
    out_h = int(rng.uniform(1000, 1440))
    out_w = out_h * 3 // 4
    canvas = _scene(out_h, out_w, rng)
    fit = out_h * rng.uniform(0.8, 1.0) / sub.shape[0]
    sh, sw = sub.shape[0] * fit, sub.shape[1] * fit
    quad = _random_quad(sw, sh, 0.06, rng) + [(out_w - sw) / 2, (out_h - sh) / 2]
    photo = _paste_warped(canvas, sub, np.float32(quad)).astype(np.float32)
    photo *= 1.6 * rng.uniform(0.9, 1.2)
    spread = 2 * (0.25 * out_w) ** 2
    glare_x = np.exp(-((np.arange(out_w, dtype=np.float32) - rng.uniform(0, out_w)) ** 2) / spread)
    glare_y = np.exp(-((np.arange(out_h, dtype=np.float32) - rng.uniform(0, out_h)) ** 2) / spread)
    photo += 90 * np.outer(glare_y, glare_x)[..., None]
    photo = cv2.GaussianBlur(photo, (0, 0), rng.uniform(0.5, 1.2))  # type: ignore[assignment]  # float32 in, float32 out
    photo += 4 * rng.standard_normal(photo.shape, dtype=np.float32)
    return _jpeg(_to_uint8(photo), 85)


def _subpixels(screen: np.ndarray, row_gap: float) -> np.ndarray:
    """A screen as its light emitters: each pixel a 3×3 block of red, green and blue stripes whose
    last row is the darker gap between pixel rows (``row_gap`` of the pixel's brightness)."""
    h, w = screen.shape[:2]
    sub = np.zeros((h * 3, w * 3, 3), np.float32)
    for c in range(3):
        sub[:, c::3, c] = np.repeat(screen[:, :, c], 3, axis=0)
    sub[2::3] *= row_gap
    return sub


def _bayer_demosaic(rgb: np.ndarray) -> np.ndarray:
    """What a phone sensor records: one colour per pixel (RGGB), interpolated back to RGB. Fine
    patterns near the sensor's pitch alias into coloured moiré here."""
    mosaic = np.zeros(rgb.shape[:2], np.uint8)
    mosaic[0::2, 0::2] = rgb[0::2, 0::2, 0]
    mosaic[0::2, 1::2] = rgb[0::2, 1::2, 1]
    mosaic[1::2, 0::2] = rgb[1::2, 0::2, 1]
    mosaic[1::2, 1::2] = rgb[1::2, 1::2, 2]
    return cv2.cvtColor(mosaic, cv2.COLOR_BayerBG2RGB)


def monitor_photo(code: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A phone photo of a desktop monitor showing the code on the CHSI web page, modelled in the
    order light takes: the page (code 180-300 screen px wide, in a region 2-3.5 codes wide with
    text lines) as RGB subpixel stripes with dark row gaps; the lens blurs it (sharp focus 0.2-0.5
    sensor px, defocus up to 0.3 module); the sensor samples it at 1-2.5 sensor px per screen
    pixel through a Bayer filter (the moiré), tilted by up to 15° with corners moved by up to 10 %;
    then over-exposure, a colour cast, glare, sensor noise and JPEG at quality 60-90, uploaded
    at full resolution (about 1-2.4k px on the long side)."""
    qr_px = int(rng.uniform(180, 300))
    region_w = int(qr_px * rng.uniform(2.0, 3.5))
    region_h = region_w * 3 // 4
    screen = np.full((region_h, region_w, 3), int(rng.integers(225, 256)), np.uint8)
    for _ in range(int(rng.integers(4, 10))):
        y, x = int(rng.integers(0, region_h - 12)), int(rng.integers(0, region_w // 2))
        cv2.rectangle(screen, (x, y), (x + int(rng.integers(40, region_w // 2)), y + 8), (80, 80, 80), -1)
    y0, x0 = int(rng.integers(0, region_h - qr_px)), int(rng.integers(0, region_w - qr_px))
    screen[y0 : y0 + qr_px, x0 : x0 + qr_px] = cv2.resize(code, (qr_px, qr_px), interpolation=cv2.INTER_LINEAR)
    sensor_per_screen = rng.uniform(1.0, 2.5)
    module = qr_px * sensor_per_screen * SCALE / code.shape[0]
    lens = float(np.hypot(rng.uniform(0.2, 0.5), rng.uniform(0.0, 0.3) * module))
    sub = cv2.GaussianBlur(_subpixels(screen, rng.uniform(0.2, 0.6)), (0, 0), lens * 3 / sensor_per_screen)
    sw, sh = region_w * sensor_per_screen, region_h * sensor_per_screen
    sensor_w = int(sw / rng.uniform(0.55, 0.9))
    sensor_h = max(int(sensor_w * (4 / 3 if rng.random() < 0.5 else 3 / 4)), int(sh / 0.9))
    turn = np.radians(rng.uniform(-15, 15))
    quad = np.array([[-sw / 2, -sh / 2], [sw / 2, -sh / 2], [sw / 2, sh / 2], [-sw / 2, sh / 2]], np.float32)
    quad = quad @ np.array([[np.cos(turn), np.sin(turn)], [-np.sin(turn), np.cos(turn)]], np.float32)
    quad += rng.uniform(-0.1, 0.1, size=(4, 2)).astype(np.float32) * [sw, sh] + [sensor_w / 2, sensor_h / 2]
    photo = _paste_warped(_scene(sensor_h, sensor_w, rng).astype(np.float32), sub, quad)
    photo *= rng.uniform(1.1, 1.6) * rng.uniform(0.85, 1.15, size=3).astype(np.float32)
    spread = 2 * (0.3 * sensor_w) ** 2
    glare_x = np.exp(-((np.arange(sensor_w, dtype=np.float32) - rng.uniform(0, sensor_w)) ** 2) / spread)
    glare_y = np.exp(-((np.arange(sensor_h, dtype=np.float32) - rng.uniform(0, sensor_h)) ** 2) / spread)
    photo += rng.uniform(30, 100) * np.outer(glare_y, glare_x)[..., None]
    photo += rng.uniform(3, 8) * rng.standard_normal(photo.shape, dtype=np.float32)
    return _jpeg(_bayer_demosaic(_to_uint8(photo)), int(rng.integers(60, 91)))


def photo_12mp(code: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 4000x3000 phone photo of the printed code on a desk: 4-15 % of the frame wide, tilted,
    out of focus by 0.2-0.5 module, dim and noisy."""
    h, w = 3000, 4000
    canvas = _scene(h, w, rng)
    side = rng.uniform(0.04, 0.15) * w
    paper = cv2.resize(code, (int(side), int(side)), interpolation=cv2.INTER_LINEAR)
    x0, y0 = rng.uniform(0.1 * w, w - side - 0.1 * w), rng.uniform(0.1 * h, h - side - 0.1 * h)
    quad = _random_quad(side, side, 0.08, rng) + [x0, y0]
    canvas = _paste_warped(canvas, paper, np.float32(quad))
    pad = int(0.1 * side)
    ys = slice(max(int(quad[:, 1].min()) - pad, 0), min(int(quad[:, 1].max()) + pad, h))
    xs = slice(max(int(quad[:, 0].min()) - pad, 0), min(int(quad[:, 0].max()) + pad, w))
    module = side * SCALE / code.shape[0]
    region = canvas[ys, xs]
    region = cv2.GaussianBlur(region, (0, 0), rng.uniform(0.2, 0.5) * module).astype(np.float32)
    region *= rng.uniform(0.6, 1.0)
    canvas[ys, xs] = _to_uint8(region + rng.normal(0, 6, region.shape))
    return _jpeg(canvas, 85)


DEGRADATIONS: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "small": small,
    "rotated": rotated,
    "perspective": perspective,
    "jpeg_q20": jpeg_q20,
    "blur": blur,
    "low_contrast": low_contrast,
    "noise": noise,
    "screenshot": screenshot,
    "screen_moire": screen_moire,
    "photo_12mp": photo_12mp,
    "monitor_photo": monitor_photo,
}
"""New kinds go last: each kind's seed is its position here, so the others keep their images."""


@dataclass(frozen=True)
class Sample:
    """One degraded upload and the payload it must give back."""

    kind: str
    payload: bytes
    image: np.ndarray


def samples(kind: str, count: int, seed: int = 2025, token_bytes: int = 0) -> Iterator[Sample]:
    """``count`` degraded uploads of one kind, each with its own random code (same seed, same
    set). With ``token_bytes``, payloads are random bytes of that length, like CHSI's encrypted
    token, instead of demo codes."""
    rng = np.random.default_rng([seed, list(DEGRADATIONS).index(kind), token_bytes])
    for _ in range(count):
        payload = rng.bytes(token_bytes) if token_bytes else encode_demo_code(sample_code(rng))
        yield Sample(kind, payload, DEGRADATIONS[kind](clean_code_rgb(payload), rng))

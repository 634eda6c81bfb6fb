"""Step 5: replace the background with the standard colour.

The model's mask is coarse (256×256), so its edge is first fitted to the photo's own edges with
a guided filter (He et al., 2010) and then the old background's colour is taken out of the
half-transparent edge pixels before the new colour goes in: that is what keeps hair free of a
light halo of the old wall or a blue fringe of the new one.
"""

from __future__ import annotations

import cv2
import numpy as np

from core.imaging.framing import solid

EDGE_RADIUS = 6
"""Guided-filter window radius in output pixels: about the width of the model's blurred edge."""
EDGE_EPS = 1e-3
BACKGROUND_SIGMA = 12
"""How far (px) to look for the old background's colour; blurred at 1/BLUR_STEP size for speed."""
BLUR_STEP = 4
WALL_SAME, WALL_DIFFERENT = 8.0, 40.0
"""Colour difference (max channel) from the local old background below which an edge pixel is wall,
above which it is fully the person's; between, its opacity is scaled down."""
MIN_ALPHA = 0.25
"""Below this opacity an edge pixel's own colour is too uncertain to recover; it fades out."""


def replace_background(image_rgb: np.ndarray, mask: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    """``image_rgb`` with every non-person pixel set to ``colour``; ``mask`` is the soft person mask."""
    alpha = refine_edge(image_rgb, mask)
    out = solid(image_rgb.shape[0], image_rgb.shape[1], colour)
    cv2.copyTo(image_rgb, (alpha >= 1.0).view(np.uint8), out)
    edge = np.flatnonzero((alpha > 0.0) & (alpha < 1.0))
    if edge.size:
        image = image_rgb.astype(np.float32)
        pixels = image.reshape(-1, 3)[edge]
        old_background = _local_background(image, alpha).reshape(-1, 3)[edge]
        # An edge pixel that looks just like the old wall next to it is wall, whatever the mask says.
        unlike_wall = np.abs(pixels - old_background).max(axis=1)
        gate = np.clip((unlike_wall - WALL_SAME) / (WALL_DIFFERENT - WALL_SAME), 0, 1)
        a = (alpha.reshape(-1)[edge] * gate)[:, None]
        foreground = np.clip((pixels - (1 - a) * old_background) / np.maximum(a, MIN_ALPHA), 0, 255)
        blended = a * foreground + (1 - a) * np.array(colour, np.float32)
        out.reshape(-1, 3)[edge] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
    return out


def refine_edge(image_rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Opacity 0..1 whose edge follows the photo's edges rather than the model's coarse grid."""
    guide = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    alpha = _guided_filter(guide, mask.astype(np.float32), EDGE_RADIUS, EDGE_EPS)
    # Pull the tails of the soft edge to 0 and 1, so the flat background is exactly the colour.
    return np.clip((alpha - 0.1) / 0.8, 0.0, 1.0)


def _guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He & Sun's fast guided filter: coefficients at half size, applied to the full-size guide."""
    height, width = guide.shape
    half = (max(1, width // 2), max(1, height // 2))
    small_guide = cv2.resize(guide, half, interpolation=cv2.INTER_AREA)
    small_src = cv2.resize(src, half, interpolation=cv2.INTER_AREA)
    size = (radius + 1, radius + 1)

    def box(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, -1, size, borderType=cv2.BORDER_REFLECT)

    mean_i, mean_p = box(small_guide), box(small_src)
    var_i = box(small_guide * small_guide) - mean_i * mean_i
    cov_ip = box(small_guide * small_src) - mean_i * mean_p
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    full = (width, height)
    mean_a = cv2.resize(box(a), full, interpolation=cv2.INTER_LINEAR)
    mean_b = cv2.resize(box(b), full, interpolation=cv2.INTER_LINEAR)
    return mean_a * guide + mean_b


def _local_background(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The old background's colour near each pixel: a blur of the image weighted by 1 - opacity."""
    height, width = alpha.shape
    small = (max(1, width // BLUR_STEP), max(1, height // BLUR_STEP))
    weight = cv2.resize(1 - alpha, small, interpolation=cv2.INTER_AREA)
    colour = cv2.resize(image, small, interpolation=cv2.INTER_AREA)
    sigma = BACKGROUND_SIGMA / BLUR_STEP
    num = cv2.GaussianBlur(colour * weight[:, :, None], (0, 0), sigma)  # type: ignore[arg-type]  # numpy types the product wider than OpenCV's stub
    den = cv2.GaussianBlur(weight, (0, 0), sigma)[:, :, None]
    local = num / np.maximum(den, 1e-3)
    return cv2.resize(local, (width, height), interpolation=cv2.INTER_LINEAR)

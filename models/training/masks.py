"""Masks of the kinds people paint, for training the guided decoder and for the full-resolution evaluation.

Every generator returns uint8 [H, W] with 255 = fill, drawn with PIL from a numpy Generator, so a seed fixes
the mask. Sizes are relative to the image, so the same kinds work on 64 px crops and on whole photos.
  box      one axis-aligned rectangle, 3-15 % of the area (a thing to remove)
  blob     an object-shaped region: a smoothed random polygon around a centre, 3-15 % of the area
  strokes  2-4 brush strokes (polylines), width 2-6 % of the short side
  scratch  3-8 thin lines, 1-4 px wide (scratches, wires, dust)
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

KINDS = ("box", "blob", "strokes", "scratch")


def _area_side(rng: np.random.Generator, w: int, h: int, lo: float, hi: float) -> tuple[int, int]:
    """Width and height of a shape covering lo..hi of the image area, aspect ratio 0.5-2."""
    area = rng.uniform(lo, hi) * w * h
    aspect = float(np.exp(rng.uniform(np.log(0.5), np.log(2.0))))
    bw = int(min(w - 2, max(4, np.sqrt(area * aspect))))
    bh = int(min(h - 2, max(4, area / max(bw, 1))))
    return bw, bh


def box(rng: np.random.Generator, w: int, h: int, lo: float = 0.03, hi: float = 0.15) -> np.ndarray:
    bw, bh = _area_side(rng, w, h, lo, hi)
    x, y = int(rng.integers(0, w - bw + 1)), int(rng.integers(0, h - bh + 1))
    m = np.zeros((h, w), np.uint8)
    m[y:y + bh, x:x + bw] = 255
    return m


def blob(rng: np.random.Generator, w: int, h: int, lo: float = 0.03, hi: float = 0.15) -> np.ndarray:
    """A smoothed random polygon; drawn again (up to 20 times) until it covers lo..hi of the image."""
    for _ in range(20):
        m = _blob_once(rng, w, h, lo, hi)
        if lo <= (m > 0).mean() <= hi:
            break
    return m


def _blob_once(rng: np.random.Generator, w: int, h: int, lo: float, hi: float) -> np.ndarray:
    # a polygon with vertex radii 0.6-1.0 inside a bw x bh box covers about 0.46 of the box
    bw, bh = _area_side(rng, w, h, lo / 0.46, hi / 0.46)
    cx, cy = rng.uniform(bw / 2, w - bw / 2), rng.uniform(bh / 2, h - bh / 2)
    n = int(rng.integers(7, 14))
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = rng.uniform(0.6, 1.0, n)
    pts = [(cx + 0.5 * bw * r * np.cos(a), cy + 0.5 * bh * r * np.sin(a)) for a, r in zip(ang, rad)]
    im = Image.new("L", (w, h), 0)
    ImageDraw.Draw(im).polygon(pts, fill=255)
    blur = max(1.0, 0.04 * min(bw, bh))  # round the polygon's corners like an outline drawn by hand
    im = im.filter(ImageFilter.GaussianBlur(blur))
    return np.where(np.asarray(im) >= 128, 255, 0).astype(np.uint8)


def _polyline(rng, w, h, n_pts, step):
    x, y = rng.uniform(0, w), rng.uniform(0, h)
    a = rng.uniform(0, 2 * np.pi)
    pts = [(x, y)]
    for _ in range(n_pts - 1):
        a += rng.uniform(-0.9, 0.9)
        x = float(np.clip(x + step * np.cos(a), 0, w - 1))
        y = float(np.clip(y + step * np.sin(a), 0, h - 1))
        pts.append((x, y))
    return pts


def strokes(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    im = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(im)
    side = min(w, h)
    for _ in range(int(rng.integers(2, 5))):
        width = max(3, int(side * rng.uniform(0.02, 0.06)))
        pts = _polyline(rng, w, h, int(rng.integers(3, 7)), side * rng.uniform(0.08, 0.2))
        d.line(pts, fill=255, width=width, joint="curve")
        for x, y in (pts[0], pts[-1]):  # round caps
            d.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill=255)
    return np.asarray(im).copy()


def scratch(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    im = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(im)
    side = min(w, h)
    for _ in range(int(rng.integers(3, 9))):
        pts = _polyline(rng, w, h, int(rng.integers(2, 4)), side * rng.uniform(0.1, 0.4))
        d.line(pts, fill=255, width=int(rng.integers(1, 5)))
    return np.asarray(im).copy()


GENERATORS = {"box": box, "blob": blob, "strokes": strokes, "scratch": scratch}


def make(kind: str, w: int, h: int, seed: int | np.random.Generator) -> np.ndarray:
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return GENERATORS[kind](rng, w, h)


def random_mask(rng: np.random.Generator, w: int, h: int, weights=(0.3, 0.3, 0.3, 0.1), area=(0.03, 0.15)) -> np.ndarray:
    """A training mask: one kind drawn with the given weights (box, blob, strokes, scratch); boxes and blobs
    cover a share of the image drawn from `area`."""
    kind = KINDS[int(rng.choice(len(KINDS), p=np.asarray(weights) / np.sum(weights)))]
    return GENERATORS[kind](rng, w, h, *area) if kind in ("box", "blob") else GENERATORS[kind](rng, w, h)

"""Photo data: gather real photographs from Debian packages, split by photo, sample random crops.

One command gathers the shipped pack's photos (needs apt-get; the photos themselves are never committed):
    /usr/bin/python3 -m models.training.data --gather
which downloads the packages into models/training/data/ (gitignored), unpacks them with dpkg -x, keeps the
photographs listed in CANDIDATES (drawings, renders, logos and tiny images are left out by hand and by
size), applies EXIF rotation, and writes models/training/photos.tsv (file, package, licence, split).

Any folder of photos works too: `PhotoSet.from_folder(DIR)` (used by train_all.py --images DIR).
"""
from __future__ import annotations

import argparse
import fnmatch
import glob
import gzip
import hashlib
import os
import random
import subprocess
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = os.path.join(HERE, "data")
PHOTOS_TSV = os.path.join(HERE, "photos.tsv")
MIN_SIDE = 256  # smaller images are too small for multi-scale 64px crops
# renders / gradients / illustrations seen on the contact sheet (python -m models.training.data --sheet X.png)
EXCLUDE = ("umang_by_", "analogpattern_by_", "greentock_by_", "/MilkyWay/", "/SafeLanding/", "grand_canyon_1.jpg")

# package -> glob patterns (relative to the unpacked package root) of the photographs we use.
CANDIDATES = {
    "mate-backgrounds": ["usr/share/backgrounds/mate/nature/*.jpg"],
    "lomiri-wallpapers-16.04": ["usr/share/backgrounds/*_by_*.jpg"],
    "lxqt-themes": ["usr/share/lxqt/wallpapers/fog.jpg", "usr/share/lxqt/wallpapers/after-the-rain.jpg",
                    "usr/share/lxqt/wallpapers/Butterfly-Kenneth-Wimer.jpg",
                    "usr/share/lxqt/wallpapers/appleflower.png", "usr/share/lxqt/wallpapers/drop.png",
                    "usr/share/lxqt/wallpapers/cloud.png", "usr/share/lxqt/wallpapers/flowers.png",
                    "usr/share/lxqt/wallpapers/butterfly.png"],
    "plasma-workspace-wallpapers": [f"usr/share/wallpapers/{w}/contents/images/{r}" for w, r in [
        ("Autumn", "1920x1080.jpg"), ("BytheWater", "1920x1080.jpg"), ("ColdRipple", "1920x1080.jpg"),
        ("ColorfulCups", "2560x1600.jpg"), ("DarkestHour", "1920x1080.jpg"), ("EveningGlow", "1920x1080.jpg"),
        ("FallenLeaf", "1920x1080.jpg"), ("Grey", "1920x1080.jpg"), ("Kite", "1920x1080.jpg"),
        ("OneStandsOut", "1920x1080.jpg"), ("Path", "1920x1080.jpg"), ("SafeLanding", "5120x2880.jpg"),
        ("summer_1am", "1920x1080.jpg"), ("MilkyWay", "5120x2880.png")]],
    "tuxpaint-data": ["usr/share/tuxpaint/templates/*.jpg"],
    "kphotoalbum": ["usr/share/kphotoalbum/demo/*.jpg"],
    "palapeli-data": ["usr/share/palapeli/collection/*.jpg"],
    "python3-skimage": [f"usr/lib/python3/dist-packages/skimage/data/{f}" for f in [
        "coffee.png", "astronaut.png", "chelsea.png", "motorcycle_left.png", "rocket.jpg"]],
    "python3-sklearn": ["usr/lib/python3/dist-packages/sklearn/datasets/images/*.jpg"],
    "opencv-doc": [f"usr/share/doc/opencv-doc/examples/data/{f}" for f in [
        "fruits.jpg", "baboon.jpg", "HappyFish.jpg", "home.jpg", "aloeL.jpg", "orange.jpg", "messi5.jpg",
        "apple.jpg", "butterfly.jpg", "building.jpg", "squirrel_cls.jpg", "lena.jpg", "graf1.png",
        "leuvenA.jpg", "aero1.jpg"]],
}


def _copyright_licence(pkg_root: str, relpath: str) -> str:
    """Licence of one file from the package's DEP-5 debian/copyright (last matching Files: stanza wins)."""
    paths = glob.glob(os.path.join(pkg_root, "usr/share/doc/*/copyright"))
    if not paths:
        return "unknown"
    text = open(paths[0], encoding="utf-8", errors="replace").read()
    best = "see debian/copyright"
    for stanza in text.split("\n\n"):
        files, lic = None, None
        for line in stanza.splitlines():
            if line.startswith("Files:"):
                files = line[6:].split()
            elif line.startswith("License:") and lic is None:
                lic = line[8:].strip()
        if files and lic:
            for pat in files:
                if pat == "*" or fnmatch.fnmatch(relpath, pat) or fnmatch.fnmatch(relpath, "*/" + pat) \
                        or fnmatch.fnmatch(os.path.basename(relpath), os.path.basename(pat)):
                    best = lic
    return best


def gather(seed: int = 0, fractions=(0.8, 0.1, 0.1)) -> list[dict]:
    debs = os.path.join(DATA_DIR, "debs")
    os.makedirs(debs, exist_ok=True)
    missing = [p for p in CANDIDATES if not glob.glob(os.path.join(debs, f"{p}_*.deb"))]
    if missing:
        subprocess.run(["apt-get", "download", *missing], cwd=debs, check=True)
    rows = []
    for pkg, pats in CANDIDATES.items():
        root = os.path.join(DATA_DIR, "x", pkg)
        if not os.path.isdir(root):
            deb = glob.glob(os.path.join(debs, f"{pkg}_*.deb"))[0]
            os.makedirs(root, exist_ok=True)
            subprocess.run(["dpkg", "-x", deb, root], check=True)
        for pat in pats:
            for f in sorted(glob.glob(os.path.join(root, pat))):
                try:
                    im = Image.open(f)
                    w, h = im.size
                except Exception:
                    continue
                if min(w, h) < MIN_SIDE or any(e in f for e in EXCLUDE):
                    continue
                rel = os.path.relpath(f, root)
                rows.append({"file": os.path.relpath(f, HERE), "package": pkg,
                             "licence": _copyright_licence(root, rel)})
    # split by photo with a fixed seed: a stable hash of the path orders photos, then fractions cut them
    rng = random.Random(seed)
    rows.sort(key=lambda r: r["file"])
    rng.shuffle(rows)
    n = len(rows)
    n_val, n_test = max(1, round(n * fractions[1])), max(1, round(n * fractions[2]))
    for i, r in enumerate(rows):
        r["split"] = "test" if i < n_test else "val" if i < n_test + n_val else "train"
    rows.sort(key=lambda r: (r["split"], r["file"]))
    with open(PHOTOS_TSV, "w") as fh:
        fh.write("file\tpackage\tlicence\tsplit\n")
        for r in rows:
            fh.write(f"{r['file']}\t{r['package']}\t{r['licence']}\t{r['split']}\n")
    return rows


def read_list(path: str = PHOTOS_TSV) -> list[dict]:
    lines = open(path).read().strip().splitlines()
    keys = lines[0].split("\t")
    return [dict(zip(keys, ln.split("\t"))) for ln in lines[1:]]


def load_photo(path: str, max_side: int = 1024) -> np.ndarray:
    """EXIF-rotated RGB uint8 [H, W, 3], downscaled so the long side is at most max_side."""
    im = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
    s = max_side / max(im.size)
    if s < 1:
        im = im.resize((max(1, round(im.width * s)), max(1, round(im.height * s))), Image.LANCZOS)
    return np.asarray(im)


def folder_list(folder: str, seed: int = 0, fractions=(0.8, 0.1, 0.1)) -> list[dict]:
    """Split any folder of photos (recursively) by photo: for people training their own pack."""
    exts = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs if f.lower().endswith(exts))
    rows = [{"file": os.path.abspath(f), "package": "folder", "licence": "user"} for f in files]
    random.Random(seed).shuffle(rows)
    n = len(rows)
    n_val = max(1, round(n * fractions[1])) if n >= 3 else 0
    n_test = max(1, round(n * fractions[2])) if n >= 3 else 0
    for i, r in enumerate(rows):
        r["split"] = "test" if i < n_test else "val" if i < n_test + n_val else "train"
    return rows


class PhotoSet:
    """Photos of one split kept in memory (downscaled); crops are sampled photo-first so that the few huge
    wallpapers weigh as much as a 512px test image."""

    def __init__(self, rows: list[dict], split: str, max_side: int = 768):
        self.rows = [r for r in rows if r["split"] == split]
        self.photos = []
        for r in self.rows:
            p = r["file"] if os.path.isabs(r["file"]) else os.path.join(HERE, r["file"])
            self.photos.append(load_photo(p, max_side))

    def __len__(self):
        return len(self.photos)

    def crop(self, rng: np.random.Generator, size: int, scales=(1.0, 4.0), flip: bool = True) -> np.ndarray:
        """One random crop: pick a photo uniformly, a side s*size with s log-uniform in scales (capped by the
        photo), resize to size x size. Returns uint8 [size, size, 3]."""
        im = self.photos[rng.integers(len(self.photos))]
        h, w = im.shape[:2]
        s = float(np.exp(rng.uniform(np.log(scales[0]), np.log(scales[1]))))
        side = int(min(h, w, round(size * s)))
        y, x = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
        c = im[y:y + side, x:x + side]
        if side != size:
            c = np.asarray(Image.fromarray(c).resize((size, size), Image.BILINEAR if side < size else Image.BOX))
        if flip and rng.random() < 0.5:
            c = c[:, ::-1]
        return c

    def batch(self, rng: np.random.Generator, n: int, size: int, **kw) -> torch.Tensor:
        """float32 [n, 3, size, size] in [-1, 1]."""
        arr = np.stack([self.crop(rng, size, **kw) for _ in range(n)])  # [n, size, size, 3]
        return torch.from_numpy(arr).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)

    def fixed_crops(self, n: int, size: int, seed: int = 1234, **kw) -> torch.Tensor:
        """A deterministic validation batch [n, 3, size, size]."""
        return self.batch(np.random.default_rng(seed), n, size, **kw)


def load_rows(images: str | None = None) -> list[dict]:
    return folder_list(images) if images else read_list()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--gather", action="store_true")
    ap.add_argument("--sheet", default="", help="write a contact sheet PNG of all photos")
    a = ap.parse_args()
    if a.gather:
        rows = gather()
        from collections import Counter
        print(len(rows), Counter(r["split"] for r in rows), Counter(r["package"] for r in rows))
    if a.sheet:
        rows = read_list()
        tiles = []
        for r in rows:
            im = Image.fromarray(load_photo(os.path.join(HERE, r["file"]), 96))
            t = Image.new("RGB", (96, 96))
            t.paste(im, (0, 0))
            tiles.append(t)
        cols = 16
        sheet = Image.new("RGB", (cols * 96, ((len(tiles) + cols - 1) // cols) * 96))
        for i, t in enumerate(tiles):
            sheet.paste(t, ((i % cols) * 96, (i // cols) * 96))
        sheet.save(a.sheet)

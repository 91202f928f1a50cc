"""Photo data: gather real photographs from Debian packages, split by photo, sample random crops.

One command gathers the shipped pack's photos (needs apt-get, dpkg and python3-debian; the photos themselves
are never committed):
    /usr/bin/python3 -m models.training.data --gather
which downloads the packages into models/training/data/ (gitignored), unpacks them with dpkg -x (and the images
of the Qt resource files named in RCC), keeps the photographs listed in CANDIDATES (drawings, renders, paintings,
logos, screenshots, astronomy and tiny images are left out by hand and by size; copies of a photo and more than
MAX_PER_PACKAGE photos of one package are left out by gather), and writes models/training/photos.tsv
(file, package, licence, split). The licence is the DEP-5 debian/copyright paragraph for the file.

Splits are stable: a photo already in photos.tsv keeps its split; a new one gets its split from a hash of its
path (_hash_split), so adding packages never moves an existing photo. Packages in RESERVED are kept for an
independent evaluation and are never gathered.

Any folder of photos works too: `PhotoSet.from_folder(DIR)` (used by train_all.py --images DIR).
"""
from __future__ import annotations

import argparse
import functools
import glob
import hashlib
import os
import random
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib

import numpy as np
import torch
from PIL import Image, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = os.path.join(HERE, "data")
PHOTOS_TSV = os.path.join(HERE, "photos.tsv")
MIN_SIDE = 256  # smaller images are too small for multi-scale 64px crops
MAX_PER_PACKAGE = 60  # so that no package dominates; more are thinned deterministically (sorted, evenly spaced)
# reserved for independent evaluation: never gathered, never in any split (tests/test_photos.py checks photos.tsv)
RESERVED = ("python-matplotlib-data", "hugin-data", "stellarium-data")
# renders / gradients / drawings / paintings seen on the contact sheet (python -m models.training.data --sheet X.png)
EXCLUDE = ("umang_by_", "analogpattern_by_", "greentock_by_", "/MilkyWay/", "/SafeLanding/",
           "Gogh", "Eglise_dAuvers", "PortraitOfPereTanguy", "/america.webp",
           *(f"/Backgrounds/{f}.jpg" for f in (
               "Indoors/chalkboard", "Indoors/party-room", "Indoors/room1", "Indoors/room2", "Indoors/room3",
               "Indoors/spotlight-stage", "Nature/woods-and-bench", "Nature/moon", "Outdoors/graffiti",
               "Outdoors/school2", "Outdoors/brick-wall1", "Outdoors/brick-wall2", "Sports/basketball-court1-b")))

# package -> Qt resource files (.rcc, relative to the unpacked package root) whose images are unpacked into
# rcc/<name>/ beside them, so that CANDIDATES can name them like any other file.
RCC = {
    "gcompris-qt-data": [f"usr/share/gcompris-qt/rcc/{n}.rcc" for n in (
        "categorization", "clickgame", "details", "erase", "explore_farm_animals", "explore_monuments",
        "explore_world_animals", "explore_world_music")],
}

_QT5 = "usr/lib/x86_64-linux-gnu/qt5/examples"
_GIMP_HELP = "usr/share/gimp/2.0/help/en/images"
# package -> glob patterns (relative to the unpacked package root) of the photographs we use.
CANDIDATES = {
    "mate-backgrounds": ["usr/share/backgrounds/mate/nature/*.jpg"],
    "lomiri-wallpapers-16.04": ["usr/share/backgrounds/*_by_*.jpg"],
    "lxqt-themes": ["usr/share/lxqt/wallpapers/fog.jpg", "usr/share/lxqt/wallpapers/after-the-rain.jpg",
                    "usr/share/lxqt/wallpapers/Butterfly-Kenneth-Wimer.jpg",
                    "usr/share/lxqt/wallpapers/appleflower.png", "usr/share/lxqt/wallpapers/drop.png",
                    "usr/share/lxqt/wallpapers/cloud.png", "usr/share/lxqt/wallpapers/flowers.png",
                    "usr/share/lxqt/wallpapers/butterfly.png", "usr/share/lxqt/wallpapers/beam.png",
                    "usr/share/lxqt/wallpapers/Valendas.png"],
    "plasma-workspace-wallpapers": [f"usr/share/wallpapers/{w}/contents/images/{r}" for w, r in [
        ("Autumn", "1920x1080.jpg"), ("BytheWater", "1920x1080.jpg"), ("ColdRipple", "1920x1080.jpg"),
        ("ColorfulCups", "2560x1600.jpg"), ("DarkestHour", "1920x1080.jpg"), ("EveningGlow", "1920x1080.jpg"),
        ("FallenLeaf", "1920x1080.jpg"), ("Grey", "1920x1080.jpg"), ("Kite", "1920x1080.jpg"),
        ("OneStandsOut", "1920x1080.jpg"), ("Path", "1920x1080.jpg"), ("SafeLanding", "5120x2880.jpg"),
        ("summer_1am", "1920x1080.jpg"), ("MilkyWay", "5120x2880.png")]],
    "tuxpaint-data": ["usr/share/tuxpaint/templates/*.jpg"],
    # KPhotoAlbum keeps the rotation of its demo photos in demo/index.xml (see load_photo)
    "kphotoalbum": ["usr/share/kphotoalbum/demo/*.jpg"],
    "palapeli-data": ["usr/share/palapeli/collection/*.jpg"],
    "python3-skimage": [f"usr/lib/python3/dist-packages/skimage/data/{f}" for f in [
        "coffee.png", "astronaut.png", "chelsea.png", "motorcycle_left.png", "rocket.jpg",
        "brick.png", "camera.png", "coins.png", "grass.png", "gravel.png", "ihc.png", "retina.jpg"]],
    "python3-sklearn": ["usr/lib/python3/dist-packages/sklearn/datasets/images/*.jpg"],
    # one image of each stereo pair / calibration series / viewpoint series only
    "opencv-doc": [f"usr/share/doc/opencv-doc/examples/data/{f}" for f in [
        "fruits.jpg", "baboon.jpg", "HappyFish.jpg", "home.jpg", "aloeL.jpg", "orange.jpg", "messi5.jpg",
        "apple.jpg", "butterfly.jpg", "building.jpg", "squirrel_cls.jpg", "graf1.png",
        "leuvenA.jpg", "aero1.jpg", "left.jpg", "basketball1.png", "box_in_scene.png", "board.jpg",
        "chicky_512.png", "ela_original.jpg", "left01.jpg", "pca_test1.jpg", "rubberwhale1.png", "stuff.jpg",
        "sudoku.png"]] + ["usr/share/doc/opencv-doc/examples/text/scenetext0[1-6].jpg",
                                            "usr/share/doc/opencv-doc/examples/alphamat/input_images/plant.jpg"],
    # photographs (animals, monuments, objects, sea, musicians) from GCompris' activities
    "gcompris-qt-data": ["rcc/categorization/**/*.webp", "rcc/clickgame/**/sea*.webp",
                         "rcc/details/**/*_background.webp", "rcc/erase/**/*.webp",
                         "rcc/explore_farm_animals/**/*.webp", "rcc/explore_monuments/**/*.webp",
                         "rcc/explore_world_animals/**/*.webp", "rcc/explore_world_music/**/*.webp"],
    # Scratch 1.4 stage backgrounds (CC-BY-SA); the .gif ones are drawn, drawn .jpg ones and the Moon are in EXCLUDE
    "scratch": [f"usr/share/scratch/Media/Backgrounds/{d}/*.jpg" for d in ("Indoors", "Nature", "Outdoors", "Sports")],
    "extremetuxracer-data": [f"usr/share/games/etr/terrains/{t}.png" for t in (
        "dirt01", "floor01", "grass01", "mud01", "pave01", "pave02", "pebbles01", "pebbles04", "rock",
        "rock01", "rock02", "rock05", "rock06", "rock07", "sand01")],
    "kalzium-data": ["usr/share/kalzium/data/toolpics/*.jpg"],
    "tuxtype-data": ["usr/share/tuxtype/images/kcas*.jpg", "usr/share/tuxtype/images/hidden.jpg"],
    "gimp-help-en": [f"{_GIMP_HELP}/{f}" for f in (
        "filters/examples/taj_orig.jpg", "filters/examples/kvitveis-orig.png", "using/duck_orig.png",
        "using/keyfob_orig.png", "filters/examples/enhance/high-pass-origin.png",
        "tutorials/tone-mapping/apple-orchard-truck-from-camera.jpg", "tutorials/tone-mapping/power-lines.jpg",
        "tutorials/quickie-crop-example-source.jpg", "tutorials/quickie-flip-example-source.jpg",
        "tutorials/quickie-rotate-example-source.jpg", "tutorials/quickie-remove-background-source.jpg",
        "tutorials/quickie-jpeg-example.jpg")],
    "gimp-data": ["usr/share/gimp/2.0/scripts/images/beavis.jpg", "usr/share/gimp/2.0/scripts/images/texture.jpg"],
    "qtbase5-examples": [f"{_QT5}/widgets/{f}" for f in (
        "graphicsview/weatheranchorlayout/images/place.jpg", "painting/affine/bg1.jpg",
        "painting/composition/flower.jpg")],
    "qtdeclarative5-examples": [f"{_QT5}/quick/{f}" for f in (
        "customitems/scrollbar/pics/niagara_falls.jpg", "particles/images/backgroundLeaves.jpg",
        "touchinteraction/flickable/content/cork.jpg", "views/listview/content/pics/fruit-salad.jpg")],
    "qtmultimedia5-examples": [f"{_QT5}/multimedia/video/qmlvideo/images/leaves.jpg"],
    "scribus-template": [f"usr/share/scribus/templates/{f}" for f in (
        "br2/nature.jpg", "br2/sunset.jpg", "menu2/pizza.jpg")],
    "scribus-data": ["usr/share/scribus/templates/nl1/kites.jpg", "usr/share/scribus/templates/nl2/flowers.jpg"],
    "kodi-data": ["usr/share/kodi/addons/skin.estuary/extras/home-images/movie.jpg",
                  "usr/share/kodi/addons/skin.estuary/extras/home-images/music.jpg",
                  "usr/share/kodi/addons/skin.estouchy/background/tv.jpg"],
    "lomiri-wallpapers-20.04": ["usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg"],
    "sddm-theme-maldives": ["usr/share/sddm/themes/maldives/background.jpg"],
    "digikam-data": ["usr/share/digikam/about/images/body-background.jpg"],
}


def _check_reserved(packages) -> None:
    bad = sorted(set(packages) & set(RESERVED))
    if bad:
        raise ValueError(f"{bad} are reserved for independent evaluation and must not be gathered")


def _hash_split(file: str) -> str:
    """The split of a photo new to photos.tsv, from its path alone: 1 in 10 test, 1 in 10 val, the rest train."""
    d = int(hashlib.sha1(file.encode("utf-8")).hexdigest(), 16) % 10
    return "test" if d == 0 else "val" if d == 1 else "train"


def _rcc_extract(rcc: str, out: str, exts=(".webp", ".jpg", ".jpeg", ".png")) -> None:
    """Write the images of a Qt binary resource file (format 1-3: big-endian header 'qres', version, tree, data
    and names offsets; tree nodes of 14 bytes, 22 from version 2; zlib-compressed entries) under out/."""
    b = open(rcc, "rb").read()
    if b[:4] != b"qres":
        raise ValueError(f"{rcc}: not a Qt resource file")
    version, tree, data, names = struct.unpack_from(">IIII", b, 4)
    node = 14 if version == 1 else 22

    def name(off: int) -> str:
        n = struct.unpack_from(">H", b, names + off)[0]
        return b[names + off + 6:names + off + 6 + 2 * n].decode("utf-16-be")

    stack = [(0, "")]
    while stack:
        i, prefix = stack.pop()
        o = tree + i * node
        name_off, flags = struct.unpack_from(">IH", b, o)
        path = f"{prefix}/{name(name_off)}" if i else ""
        if flags & 2:  # directory
            count, first = struct.unpack_from(">II", b, o + 6)
            stack.extend((c, path) for c in range(first, first + count))
            continue
        parts = path.strip("/").split("/")
        if not path.lower().endswith(exts) or ".." in parts or flags & 4:  # flags & 4: zstd, not used by our packs
            continue
        off = struct.unpack_from(">I", b, o + 10)[0]
        size = struct.unpack_from(">I", b, data + off)[0]
        raw = b[data + off + 4:data + off + 4 + size]
        if flags & 1:  # qCompress: 4-byte length, then zlib
            raw = zlib.decompress(raw[4:])
        dst = os.path.join(out, *parts)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "wb") as fh:
            fh.write(raw)


@functools.lru_cache(maxsize=None)
def _dep5(path: str):
    """The parsed DEP-5 copyright file, or None when it is not machine-readable (python3-debian)."""
    import logging

    from debian import copyright as dep5  # only gather() needs python3-debian

    logging.getLogger(dep5.__name__).setLevel(logging.ERROR)  # old Format: URLs parse fine but warn
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return dep5.Copyright(fh, strict=False)
    except Exception:  # dep5.NotMachineReadableError, or a malformed DEP-5 file
        return None


def _copyright_licence(copyright_file: str | None, relpath: str) -> str:
    """Licence of one file from a package's DEP-5 debian/copyright. Files: patterns name source-tree paths, so
    every tail of the installed path is tried (and, for images that the package converted, e.g. to .webp, the
    same name with the source's usual extensions), and a pattern without wildcards also matches by its file
    name; as DEP-5 says, the last matching paragraph wins. A copyright file that is not machine-readable gives
    "see debian/copyright"."""
    if not copyright_file:
        return "unknown"
    c = _dep5(copyright_file)
    if c is None:
        return "see debian/copyright"
    parts = relpath.split("/")
    tails = ["/".join(parts[i:]) for i in range(len(parts))]
    names = tails + [os.path.splitext(t)[0] + e for t in tails for e in (".jpg", ".jpeg", ".png", ".svg")]
    bases = {n.rsplit("/", 1)[-1] for n in names}
    best = None
    for p in c.all_files_paragraphs():
        if any(p.matches(n) for n in names) or any(
                not any(ch in pat for ch in "*?") and pat.rsplit("/", 1)[-1] in bases for pat in p.files):
            best = p
    if best is None or best.license is None:
        return "see debian/copyright"
    return " ".join(best.license.synopsis.split()) or "see debian/copyright"


def _thumb(path: str) -> np.ndarray:
    """16x16 RGB float thumbnail: the same picture at another size or quality gives nearly the same one."""
    im = Image.open(path)
    im.draft("RGB", (64, 64))  # JPEG: decode at a reduced size
    return np.asarray(im.convert("RGB").resize((16, 16), Image.BOX), dtype=np.float32)


def _unpack(pkg: str) -> str:
    """data/x/<pkg>: the package downloaded (apt-get download, once) and unpacked (dpkg -x, and its RCC files)."""
    debs = os.path.join(DATA_DIR, "debs")
    root = os.path.join(DATA_DIR, "x", pkg)
    if os.path.isdir(root):
        return root
    os.makedirs(debs, exist_ok=True)
    if not glob.glob(os.path.join(debs, f"{pkg}_*.deb")):
        subprocess.run(["apt-get", "download", pkg], cwd=debs, check=True)
    deb = sorted(glob.glob(os.path.join(debs, f"{pkg}_*.deb")))[-1]
    os.makedirs(root + ".part", exist_ok=True)
    subprocess.run(["dpkg", "-x", deb, root + ".part"], check=True)
    for rcc in RCC.get(pkg, []):
        _rcc_extract(os.path.join(root + ".part", rcc),
                     os.path.join(root + ".part", "rcc", os.path.splitext(os.path.basename(rcc))[0]))
    os.rename(root + ".part", root)
    return root


def _copyright_file(pkg: str) -> str | None:
    """The package's debian/copyright; when its doc folder is a link to a package it depends on (as
    gimp-help-en's is to gimp-help-common's), that package is fetched too for its copyright file."""
    doc = os.path.join(DATA_DIR, "x", pkg, "usr/share/doc", pkg)
    if os.path.islink(doc) and "/" not in os.readlink(doc):
        other = os.readlink(doc)
        doc = os.path.join(_unpack(other), "usr/share/doc", other)
    path = os.path.join(doc, "copyright")
    return path if os.path.isfile(path) else None


def gather() -> list[dict]:
    _check_reserved(CANDIDATES)
    debs = os.path.join(DATA_DIR, "debs")
    os.makedirs(debs, exist_ok=True)
    missing = [p for p in CANDIDATES if not glob.glob(os.path.join(debs, f"{p}_*.deb"))]
    if missing:  # one apt-get call for all of them
        subprocess.run(["apt-get", "download", *missing], cwd=debs, check=True)
    # splits already given stay as they are: models were trained on them
    old = {r["file"]: r["split"] for r in read_list()} if os.path.exists(PHOTOS_TSV) else {}
    rows, thumbs = [], []
    for pkg, pats in CANDIDATES.items():
        root = _unpack(pkg)
        files = []
        for pat in pats:
            for f in sorted(glob.glob(os.path.join(root, pat), recursive=True)):
                try:
                    w, h = Image.open(f).size
                except Exception:
                    continue
                if min(w, h) >= MIN_SIDE and not any(e in f for e in EXCLUDE) and f not in files:
                    files.append(f)
        kept = []
        for f in files:  # copies of a photo already kept (here or in another package) are left out
            t = _thumb(f)
            if os.path.relpath(f, HERE) not in old and thumbs and \
                    np.abs(np.stack(thumbs) - t).mean(axis=(1, 2, 3)).min() < 4.0:
                continue
            thumbs.append(t)
            kept.append(f)
        if len(kept) > MAX_PER_PACKAGE:  # evenly spaced in sorted order; photos already listed stay
            n = len(kept)
            keep = {kept[i * n // MAX_PER_PACKAGE] for i in range(MAX_PER_PACKAGE)}
            keep |= {f for f in kept if os.path.relpath(f, HERE) in old}
            kept = [f for f in kept if f in keep]
        cfile = _copyright_file(pkg)
        for f in kept:
            rel = os.path.relpath(f, HERE)
            rows.append({"file": rel, "package": pkg, "licence": _copyright_licence(cfile, os.path.relpath(f, root)),
                         "split": old.get(rel) or _hash_split(rel)})
    rows.sort(key=lambda r: (r["split"], r["file"]))
    with open(PHOTOS_TSV, "w") as fh:
        fh.write("file\tpackage\tlicence\tsplit\n")
        for r in rows:
            fh.write(f"{r['file']}\t{r['package']}\t{r['licence']}\t{r['split']}\n")
    return rows


@functools.lru_cache(maxsize=None)
def _kphotoalbum_angles(folder: str) -> dict:
    """{file relative to folder: clockwise degrees} from a KPhotoAlbum database (folder/index.xml), {} if none."""
    p = os.path.join(folder, "index.xml")
    if not os.path.isfile(p):
        return {}
    try:
        root = ET.parse(p).getroot()
    except ET.ParseError:
        return {}
    if root.tag != "KPhotoAlbum":
        return {}
    return {im.get("file"): int(im.get("angle") or 0) % 360 for im in root.iter("image") if im.get("file")}


def _album_angle(path: str) -> int | None:
    """Rotation that KPhotoAlbum stores in its database rather than in the file (its demo photos have EXIF
    orientation 1 but are shown rotated); None when no database in the photo's folder or above lists it."""
    path = os.path.abspath(path)
    d = os.path.dirname(path)
    while True:
        angles = _kphotoalbum_angles(d)
        rel = os.path.relpath(path, d).replace(os.sep, "/")
        if rel in angles:
            return angles[rel]
        up = os.path.dirname(d)
        if up == d:
            return None
        d = up


def read_list(path: str = PHOTOS_TSV) -> list[dict]:
    lines = open(path).read().strip().splitlines()
    keys = lines[0].split("\t")
    return [dict(zip(keys, ln.split("\t"))) for ln in lines[1:]]


def load_photo(path: str, max_side: int = 1024) -> np.ndarray:
    """Upright RGB uint8 [H, W, 3], downscaled so the long side is at most max_side. Upright: by the rotation
    that a KPhotoAlbum database beside the photo gives it (KPhotoAlbum takes EXIF orientation into that angle
    on import, so it replaces EXIF here), else by the EXIF orientation."""
    im = Image.open(path)
    angle = _album_angle(path)
    if angle is None:
        im = ImageOps.exif_transpose(im)
    elif angle:  # clockwise degrees; PIL's names count counter-clockwise
        t = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}.get(angle)
        im = im.transpose(t) if t is not None else im.rotate(-angle, expand=True)
    im = im.convert("RGB")
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
    ap.add_argument("--packages", default="", help="with --sheet: only these packages (comma-separated)")
    a = ap.parse_args()
    if a.gather:
        rows = gather()
        from collections import Counter
        print(len(rows), Counter(r["split"] for r in rows), Counter(r["package"] for r in rows))
    if a.sheet:
        rows = [r for r in read_list() if not a.packages or r["package"] in a.packages.split(",")]
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

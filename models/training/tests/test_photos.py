"""photos.tsv and the gathering code in data.py: reserved packages, stable splits, licences, rotation, .rcc files."""
import collections
import hashlib
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from models.training import data as D


def test_reserved_packages_are_never_in_photos_tsv():
    assert set(D.RESERVED) == {"python-matplotlib-data", "hugin-data", "stellarium-data"}
    rows = D.read_list()
    for r in rows:
        assert r["package"] not in D.RESERVED, r
        assert not any(f"/x/{p}/" in "/" + r["file"] for p in D.RESERVED), r
    assert not set(D.CANDIDATES) & set(D.RESERVED)


def test_gather_refuses_reserved_packages(monkeypatch):
    monkeypatch.setattr(D, "CANDIDATES", {**D.CANDIDATES, "stellarium-data": ["usr/share/stellarium/*.png"]})
    with pytest.raises(ValueError, match="reserved"):
        D.gather()  # refused before anything is downloaded


def test_photos_tsv_shape():
    rows = D.read_list()
    assert len(rows) >= 300 and len({r["file"] for r in rows}) == len(rows)
    per_package = collections.Counter(r["package"] for r in rows)
    assert len(per_package) >= 15 and max(per_package.values()) <= D.MAX_PER_PACKAGE
    assert all(r["split"] in ("train", "val", "test") and r["licence"] for r in rows)
    assert {r["split"] for r in rows} == {"train", "val", "test"}


def test_hash_split_is_stable_and_about_80_10_10():
    f = "data/x/scratch/usr/share/scratch/Media/Backgrounds/Nature/lake.jpg"
    d = int(hashlib.sha1(f.encode()).hexdigest(), 16) % 10
    assert D._hash_split(f) == ("test" if d == 0 else "val" if d == 1 else "train")
    c = collections.Counter(D._hash_split(f"data/x/p/{i}.jpg") for i in range(3000))
    assert 220 < c["test"] < 380 and 220 < c["val"] < 380


def test_kphotoalbum_angle_rotates_clockwise(tmp_path):
    a = np.zeros((2, 4, 3), np.uint8)  # 2 rows, 4 columns
    a[0, 0] = 255  # top-left red
    Image.fromarray(a).save(tmp_path / "p.png")
    Image.fromarray(a).save(tmp_path / "q.png")
    (tmp_path / "index.xml").write_text('<?xml version="1.0"?><KPhotoAlbum version="8">'
                                        '<images><image file="p.png" angle="90"/></images></KPhotoAlbum>')
    D._kphotoalbum_angles.cache_clear()
    p = D.load_photo(str(tmp_path / "p.png"))
    assert p.shape == (4, 2, 3) and p[0, 1, 0] == 255  # clockwise: top-left goes to top-right
    assert D.load_photo(str(tmp_path / "q.png")).shape == (2, 4, 3)  # not listed with an angle: as stored


def _rcc(files: dict) -> bytes:
    """A version-2 Qt resource file with one directory "d" holding files (name -> (bytes, compressed))."""
    names, data, nodes = b"", b"", []

    def name(s):
        nonlocal names
        off = len(names)
        names += struct.pack(">HI", len(s), 0) + s.encode("utf-16-be")
        return off

    nodes.append(struct.pack(">IHII", 0, 2, 1, 1) + b"\0" * 8)  # root: 1 child at node 1
    nodes.append(struct.pack(">IHII", name("d"), 2, len(files), 2) + b"\0" * 8)
    for fname, (raw, compressed) in files.items():
        payload = struct.pack(">I", len(raw)) + zlib.compress(raw) if compressed else raw
        nodes.append(struct.pack(">IHHHI", name(fname), 1 if compressed else 0, 0, 0, len(data)) + b"\0" * 8)
        data += struct.pack(">I", len(payload)) + payload
    tree = 20
    data_off = tree + len(b"".join(nodes))
    names_off = data_off + len(data)
    return b"qres" + struct.pack(">IIII", 2, tree, data_off, names_off) + b"".join(nodes) + data + names


def test_rcc_extract(tmp_path):
    (tmp_path / "t.rcc").write_bytes(_rcc({"a.webp": (b"A" * 100, True), "b.png": (b"BB", False),
                                           "c.qml": (b"x", False)}))
    D._rcc_extract(str(tmp_path / "t.rcc"), str(tmp_path / "out"))
    assert (tmp_path / "out/d/a.webp").read_bytes() == b"A" * 100
    assert (tmp_path / "out/d/b.png").read_bytes() == b"BB"
    assert not (tmp_path / "out/d/c.qml").exists()  # images only


def test_copyright_licence(tmp_path):
    pytest.importorskip("debian.copyright")
    D._dep5.cache_clear()
    dep5 = tmp_path / "copyright"
    dep5.write_text("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
                    "Files: *\nCopyright: 2020 A\nLicense: GPL-2+\n\n"
                    "Files: src/activities/erase/resource/*.jpg\nCopyright: 2020 B\nLicense: CC-BY-SA-4.0\n\n"
                    "Files: 16.04/lake_by_C.jpg\nCopyright: 2020 C\nLicense: CC0-1.0\n")
    lic = lambda rel: D._copyright_licence(str(dep5), rel)
    assert lic("rcc/erase/gcompris/src/activities/erase/resource/cat.webp") == "CC-BY-SA-4.0"
    assert lic("usr/share/backgrounds/lake_by_C.jpg") == "CC0-1.0"
    assert lic("usr/share/backgrounds/other.jpg") == "GPL-2+"
    free = tmp_path / "free"
    free.write_text("This package was debianized by someone.\n\nIt is GPL.\n")
    assert D._copyright_licence(str(free), "a.jpg") == "see debian/copyright"
    assert D._copyright_licence(None, "a.jpg") == "unknown"

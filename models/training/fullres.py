"""Full-resolution evaluation: the test photos at their own size, masks of the kinds people paint, every fill
through the app's own engine (`bin/vqddm.js inpaint`), against OpenCV's classical inpainting.

    /usr/bin/python3 -m models.training.fullres --pack models/default        # updates metrics.json + REPORT.md

Cases: each test photo (photos.tsv split "test") x {box, blob, strokes, scratch} (models/training/masks.py;
box and blob 3-15 % of the photo), seeded by photo index. Methods: VQ-DDM and the transformer with every
refinement stage (the defaults), with photo texture off (`_learned`), with every stage off (`_coarse`: the
raw method); OpenCV Telea and Navier-Stokes (radius 5). Metrics as docs/METHOD.md "Measuring a fill": masked PSNR, masked SSIM (grey, 7x7 box), content
PSNR (both blurred, sigma 2), detail ratio (Laplacian variance over the mask's core / over a ring outside it;
median over cases and pooled), seam (mean grey step across the mask's inner edge), ms per fill.
Also `recon_native`: the plain decoder on 256 px test crops at the photo's own scale (true codes, no guide).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import time

import cv2
import numpy as np
import torch
from PIL import Image

from . import data as D
from . import masks as MK
from .common import RUNS
from .encode import SHIPPED_VQ, load_vq

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.path.join(ROOT, "bin", "vqddm.js")
LEARNED = ("vqddm", "transformer")
# CLI flags per variant: every stage (the default), stage 3 (photo texture) off, every stage off (the raw method)
VARIANTS = {"": [], "_learned": ["--no-texture"], "_coarse": ["--no-guided", "--no-anchor", "--no-texture"]}
# with --detail: the detail pass (off by default) added to every stage, and to the stages without photo texture
DETAIL_VARIANTS = {"_detail": ["--detail"], "_learned_detail": ["--no-texture", "--detail"]}




def methods_for(variants: dict) -> tuple:
    """The rows of the evaluation: each learned method in each variant, then the classical baselines."""
    return tuple(m + v for v in variants for m in LEARNED) + ("telea", "ns")


BEGIN, END = "<!-- fullres:begin -->", "<!-- fullres:end -->"


def grey(img: np.ndarray) -> np.ndarray:  # uint8 [H, W, 3] -> float64 [H, W] (ITU-R 601 luma)
    return img[..., 0] * 0.299 + img[..., 1] * 0.587 + img[..., 2] * 0.114


def laplacian(g: np.ndarray) -> np.ndarray:  # 3x3 [0 1 0; 1 -4 1; 0 1 0]
    return cv2.Laplacian(g, cv2.CV_64F, ksize=1)


def masked_psnr(a: np.ndarray, b: np.ndarray, m: np.ndarray) -> float:
    mse = ((a.astype(np.float64) - b.astype(np.float64)) ** 2)[m].mean()
    return float(10 * np.log10(255.0 ** 2 / max(mse, 1e-10)))


def masked_ssim(a: np.ndarray, b: np.ndarray, m: np.ndarray) -> float:
    x, y = grey(a), grey(b)
    f = lambda z: cv2.blur(z, (7, 7), borderType=cv2.BORDER_REFLECT)
    C1, C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = f(x), f(y)
    vx, vy, cov = f(x * x) - mx ** 2, f(y * y) - my ** 2, f(x * y) - mx * my
    s = ((2 * mx * my + C1) * (2 * cov + C2)) / ((mx ** 2 + my ** 2 + C1) * (vx + vy + C2))
    return float(s[m].mean())


def core_and_ring(m: np.ndarray):
    u8 = m.astype(np.uint8)
    core = cv2.erode(u8, np.ones((5, 5), np.uint8)) > 0
    ring = (cv2.dilate(u8, np.ones((31, 31), np.uint8)) > 0) & ~(cv2.dilate(u8, np.ones((5, 5), np.uint8)) > 0)
    return core, ring


def detail_parts(orig: np.ndarray, fill: np.ndarray, m: np.ndarray):
    """(variance of the fill's Laplacian over the core, of the original's over the ring); None without a core."""
    core, ring = core_and_ring(m)
    if core.sum() < 16 or ring.sum() < 16:
        return None
    return float(laplacian(grey(fill))[core].var()), float(laplacian(grey(orig))[ring].var())


def seam(img: np.ndarray, m: np.ndarray) -> float:
    """Mean |grey step| (0..1) between mask pixels on the inner edge and their unmasked 4-neighbours."""
    g = grey(img) / 255
    steps = []
    for ax in (0, 1):
        a, b = np.take(m, range(m.shape[ax] - 1), ax), np.take(m, range(1, m.shape[ax]), ax)
        d = np.abs(np.diff(g, axis=ax))
        steps.append(d[a != b])
    s = np.concatenate(steps)
    return float(s.mean()) if len(s) else 0.0


def score(orig: np.ndarray, fill: np.ndarray, m: np.ndarray) -> dict:
    blur = lambda z: cv2.GaussianBlur(z, (0, 0), 2)
    return {"psnr_db": masked_psnr(orig, fill, m), "ssim": masked_ssim(orig, fill, m),
            "content_psnr_db": masked_psnr(blur(orig), blur(fill), m), "seam": seam(fill, m),
            "detail_parts": detail_parts(orig, fill, m)}


def test_cases(work: str, limit: int = 0, kinds_per_photo: int = 4):
    """Writes each test photo (EXIF-rotated, own size) and its masks; returns [(name, image, mask, kind)].
    With kinds_per_photo < 4 the kinds rotate over the photos, so each kind still gets its share."""
    os.makedirs(work, exist_ok=True)
    rows = [r for r in D.read_list() if r["split"] == "test"]
    cases = []
    for i, r in enumerate(rows):
        im = D.load_photo(os.path.join(D.HERE, r["file"]), max_side=1 << 30)
        ip = os.path.join(work, f"photo{i:02d}.png")
        if not os.path.exists(ip):
            Image.fromarray(im).save(ip)
        h, w = im.shape[:2]
        for k, kind in enumerate(MK.KINDS):
            if (k - i * kinds_per_photo) % len(MK.KINDS) >= kinds_per_photo:
                continue
            mp = os.path.join(work, f"mask{i:02d}_{kind}.png")
            Image.fromarray(MK.make(kind, w, h, 100 * i + k)).save(mp)
            cases.append((f"{i:02d}_{kind}", ip, mp, kind))
    return cases[:limit] if limit else cases


def run_cli(pack: str, image: str, mask: str, out: str, seed: int, flags: list[str]) -> dict:
    cmd = ["node", CLI, "inpaint", "--image", image, "--mask", mask, "--out", out, "--method", "both",
           "--seed", str(seed), "--json", "--overwrite", "--pack", pack, *flags]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    if r.returncode:
        raise RuntimeError(r.stderr.strip())
    return json.loads(r.stdout.strip().splitlines()[-1])


def fill_case(pack: str, work: str, name: str, ip: str, mp: str, seed: int, variants: dict = VARIANTS) -> dict:
    """{method: (fill path, ms)} for every method of `methods_for(variants)`."""
    out = {}
    for suffix, flags in variants.items():
        path = os.path.join(work, f"fill_{name}{suffix}.png")
        rep = run_cli(pack, ip, mp, path, seed, flags)
        for f in rep["files"]:
            meth = "transformer" if ".transformer." in f else "vqddm"
            out[meth + suffix] = (f, float(rep["timings"][meth]["total"]))
    img = cv2.imread(ip, cv2.IMREAD_COLOR)
    msk = (cv2.imread(mp, cv2.IMREAD_GRAYSCALE) > 127).astype(np.uint8) * 255
    for meth, flag in (("telea", cv2.INPAINT_TELEA), ("ns", cv2.INPAINT_NS)):
        t = time.perf_counter()
        res = cv2.inpaint(img, msk, 5, flag)
        ms = (time.perf_counter() - t) * 1000
        path = os.path.join(work, f"fill_{name}_{meth}.png")
        cv2.imwrite(path, res)
        out[meth] = (path, ms)
    return out


def summarise(rows: list[dict]) -> dict:
    """Means of PSNR, SSIM, content PSNR, seam and ms; detail as the median over cases and the pooled ratio."""
    parts = [r["detail_parts"] for r in rows if r["detail_parts"] and r["detail_parts"][1] > 0]
    out = {k: float(np.mean([r[k] for r in rows])) for k in ("psnr_db", "ssim", "content_psnr_db", "seam", "ms_per_fill")}
    out["detail"] = float(np.median([a / b for a, b in parts])) if parts else None
    out["detail_pooled"] = float(sum(a for a, _ in parts) / sum(b for _, b in parts)) if parts else None
    out["n"] = len(rows)
    return out


@torch.no_grad()
def recon_native(vq_path: str = SHIPPED_VQ, n: int = 32, size: int = 256) -> dict:
    """The plain decoder on `n` test crops of `size` px at the photo's own scale: PSNR and detail ratio."""
    vq = load_vq(vq_path)
    rows = D.read_list()
    ps = D.PhotoSet(rows, "test", max_side=1 << 30)
    x = ps.fixed_crops(n, size, seed=99, scales=(1.0, 1.0), flip=False)
    y = torch.cat([vq.decode(vq.encode(x[i:i + 8])) for i in range(0, n, 8)]).clamp(-1, 1)
    to8 = lambda t: ((t.permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().clip(0, 255).astype(np.uint8)
    xo, yo = to8(x), to8(y)
    everywhere = np.ones((size, size), bool)
    psnr = [masked_psnr(a, b, everywhere) for a, b in zip(xo, yo)]
    ratios = [laplacian(grey(b)).var() / max(laplacian(grey(a)).var(), 1e-9) for a, b in zip(xo, yo)]
    return {"psnr_db": float(np.mean(psnr)), "detail": float(np.median(ratios)), "crops": n, "size": size}


def picture(png: str, cases, fills: dict, picks: list[str], side: int = 192) -> None:
    """Rows of full-resolution crops around the mask: original, mask, VQ-DDM coarse, VQ-DDM, transformer coarse,
    transformer, Telea."""
    cols = ("vqddm_coarse", "vqddm", "transformer_coarse", "transformer", "telea")
    rows = []
    for name, ip, mp, kind in [c for c in cases if c[0] in picks]:
        o = np.asarray(Image.open(ip).convert("RGB"))
        m = np.asarray(Image.open(mp)) > 127
        ys, xs = np.nonzero(m)
        cy, cx = int(np.median(ys)), int(np.median(xs))
        h, w = m.shape
        span = int(max(side, 1.3 * max(ys.max() - ys.min(), xs.max() - xs.min()))) if kind in ("box", "blob") else side
        span = min(span, h, w)
        y0, x0 = int(np.clip(cy - span // 2, 0, h - span)), int(np.clip(cx - span // 2, 0, w - span))
        cut = lambda a: np.asarray(Image.fromarray(a[y0:y0 + span, x0:x0 + span]).resize((side, side), Image.LANCZOS))
        masked = o.copy()
        masked[m] = [255, 0, 255]
        tiles = [cut(o), cut(masked)] + [cut(np.asarray(Image.open(fills[name][k][0]).convert("RGB"))) for k in cols]
        rows.append(np.concatenate([np.pad(t, ((2, 2), (2, 2), (0, 0)), constant_values=255) for t in tiles], 1))
    Image.fromarray(np.concatenate(rows, 0)).save(png)


def report_section(F: dict, R: dict) -> str:
    names = {"vqddm": "VQ-DDM, every stage", "transformer": "transformer, every stage",
             "vqddm_learned": "VQ-DDM, photo texture off", "transformer_learned": "transformer, photo texture off",
             "vqddm_coarse": "VQ-DDM raw (stages off)", "transformer_coarse": "transformer raw (stages off)",
             "vqddm_detail": "VQ-DDM, every stage + detail pass", "transformer_detail": "transformer, every stage + detail pass",
             "vqddm_learned_detail": "VQ-DDM, texture off, detail pass on",
             "transformer_learned_detail": "transformer, texture off, detail pass on",
             "telea": "OpenCV Telea", "ns": "OpenCV Navier-Stokes"}
    fmt = lambda v, p=2: "-" if v is None else f"{v:.{p}f}"
    lines = [BEGIN, "## Full-resolution inpainting (`python3 -m models.training.fullres`)", "",
             f"{F['cases']} cases: the {F['photos']} test photos at their own size (up to {F['max_pixels'] / 1e6:.1f} MP), "
             f"{F['cases'] // F['photos']} of the mask kinds box, blob, strokes, scratch per photo, rotating so each kind has "
             f"{F['cases'] // len(MK.KINDS)} cases (box and blob 3-15 % of the photo); a seed per case; default settings. "
             f"The original photos' seam is {F['original']['seam']:.4f}; their detail ratio (ring vs core of the "
             f"original itself) {fmt(F['original']['detail'])}.", "",
             "| method | PSNR dB | SSIM | content PSNR dB | detail (median / pooled) | seam | ms per fill |",
             "|---|---|---|---|---|---|---|"]
    for k, v in F["methods"].items():
        lines.append(f"| {names[k]} | {v['psnr_db']:.2f} | {v['ssim']:.3f} | {v['content_psnr_db']:.2f} | "
                     f"{fmt(v['detail'])} / {fmt(v['detail_pooled'])} | {v['seam']:.4f} | {v['ms_per_fill']:.0f} |")
    lines += ["", "ms per fill: a learned method's engine total with both methods filling together (`--method both`, as "
              "the app fills), so each includes time the other took from the cores, and VQ-DDM's, which starts first, the "
              "models' first calls in a new process; OpenCV's, its own call. The speed "
              "figures are docs/BENCHMARKS.md's.",
              "", "Per mask kind, PSNR dB / SSIM / content PSNR dB / detail (median):", "",
              "| method | " + " | ".join(MK.KINDS) + " |", "|---|" + "---|" * len(MK.KINDS)]
    for k, pk in F["per_kind"].items():
        lines.append(f"| {k} | " + " | ".join(f"{pk[kind]['psnr_db']:.2f} / {pk[kind]['ssim']:.3f} / "
                                                f"{pk[kind]['content_psnr_db']:.2f} / {fmt(pk[kind]['detail'])}"
                                                for kind in MK.KINDS) + " |")
    lines += ["", f"Plain decoder at the photo's own scale ({R['crops']} test crops of {R['size']} px, true codes, no guide): "
              f"PSNR {R['psnr_db']:.2f} dB, detail ratio {R['detail']:.2f} (median).", "",
              "![full-resolution fills](fullres_fills.png)", "",
              "Columns: original, mask (magenta), VQ-DDM coarse, VQ-DDM with the stages, transformer coarse, transformer "
              "with the stages, OpenCV Telea; crops of the photo at its own scale around the mask.", END]
    return "\n".join(lines) + "\n"


def write_outputs(pack: str, F: dict, R: dict) -> None:
    mpath = os.path.join(pack, "metrics.json")
    M = json.load(open(mpath)) if os.path.exists(mpath) else {}
    M["fullres"] = {k: F[k] for k in ("cases", "original", "methods")}
    M["fullres_per_kind"] = F["per_kind"]
    M["recon_native"] = {"psnr_db": R["psnr_db"], "detail": R["detail"]}
    with open(mpath, "w") as fh:
        json.dump(M, fh, indent=2)
        fh.write("\n")
    rpath = os.path.join(pack, "REPORT.md")
    text = open(rpath).read() if os.path.exists(rpath) else f"# {os.path.basename(pack)} pack\n"
    section = report_section(F, R)
    if BEGIN in text:
        text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END) + 1:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    open(rpath, "w").write(text)


def evaluate(pack: str, work: str, limit: int = 0, kinds_per_photo: int = 4, detail: bool = False) -> tuple[dict, dict]:
    cases = test_cases(os.path.join(work, "cases"), limit, kinds_per_photo)
    variants = {**VARIANTS, **(DETAIL_VARIANTS if detail else {})}
    methods = methods_for(variants)
    rows = {k: [] for k in methods}
    fills, originals = {}, []
    for ci, (name, ip, mp, kind) in enumerate(cases):
        orig = np.asarray(Image.open(ip).convert("RGB"))
        m = np.asarray(Image.open(mp)) > 127
        fills[name] = fill_case(pack, work, name, ip, mp, seed=1 + ci, variants=variants)
        for meth, (path, ms) in fills[name].items():
            s = score(orig, np.asarray(Image.open(path).convert("RGB")), m)
            rows[meth].append({**s, "ms_per_fill": ms, "kind": kind})
        originals.append({"seam": seam(orig, m), "detail_parts": detail_parts(orig, orig, m)})
        print(f"case {ci + 1}/{len(cases)} {name}: " + " ".join(f"{k}={rows[k][-1]['psnr_db']:.1f}" for k in methods), flush=True)
    parts = [o["detail_parts"] for o in originals if o["detail_parts"] and o["detail_parts"][1] > 0]
    F = {"cases": len(cases), "photos": len({c[1] for c in cases}),
         "max_pixels": max(w * h for w, h in (Image.open(p).size for p in {c[1] for c in cases})),  # headers only
         "original": {"seam": float(np.mean([o["seam"] for o in originals])),
                      "detail": float(np.median([a / b for a, b in parts])) if parts else None},
         "methods": {k: summarise(v) for k, v in rows.items()},
         "per_kind": {k: {kind: summarise([r for r in v if r["kind"] == kind]) for kind in MK.KINDS} for k, v in rows.items()}}
    picks = [c[0] for c in cases if c[3] in ("box", "blob")][:6]
    picture(os.path.join(pack, "fullres_fills.png"), cases, fills, picks)
    return F, recon_native()


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--pack", default=os.path.join(ROOT, "models", "default"))
    ap.add_argument("--work", default=os.path.join(RUNS, "fullres"))
    ap.add_argument("--limit", type=int, default=0, help="only the first N cases (smoke test)")
    ap.add_argument("--kinds_per_photo", type=int, default=4, help="mask kinds per photo (rotating), 1-4")
    ap.add_argument("--detail", action="store_true", help="also with the detail pass (the _detail variants)")
    a = ap.parse_args(argv)
    t0 = time.time()
    F, R = evaluate(a.pack, a.work, a.limit, a.kinds_per_photo, a.detail)
    write_outputs(a.pack, F, R)
    print(json.dumps({k: {kk: (round(vv, 3) if isinstance(vv, float) else vv) for kk, vv in v.items()}
                      for k, v in F["methods"].items()}, indent=1))
    print("recon_native", R, f"{(time.time() - t0) / 60:.1f} min")


if __name__ == "__main__":
    main()

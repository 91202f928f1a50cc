"""Stage 7: evaluate a pack through the app's own engine (the `vqddm` CLI), write metrics.json and REPORT.md.

    /usr/bin/python3 -m models.training.evaluate --pack models/default [--steps 10,25,50] [--crops 2]

Test photos (photos.tsv split "test", never seen by any training stage) -> 64x64 crops (the pack's
resolution), each with four fixed masks (centre box, free-form strokes, thin scratches, right half). Every
case is filled by `node bin/vqddm.js inpaint` (VQ-DDM at several step counts and the transformer), and
scored on the masked region: PSNR, SSIM (7x7 Gaussian-free uniform window, averaged over masked pixels), L1
(pixels in [0, 1]) and seam = mean |intensity jump| across the mask edge (4-neighbour pairs, one pixel in,
one out; the original's own jump is reported as `seam_original`). Wall time is the engine's per-method total.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import time

import numpy as np
import torch
from PIL import Image, ImageDraw
from scipy.ndimage import uniform_filter

from . import data as D
from .common import RUNS, Log

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.path.join(ROOT, "bin", "vqddm.js")
MASKS = ("centre", "strokes", "scratches", "half")


def make_mask(kind: str, size: int, seed: int) -> np.ndarray:
    """uint8 [size, size], 255 = fill."""
    im = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(im)
    r = np.random.default_rng(seed)
    if kind == "centre":
        a = size * 3 // 8
        d.rectangle([a, a, size - a - 1, size - a - 1], fill=255)
    elif kind == "half":
        d.rectangle([size // 2, 0, size - 1, size - 1], fill=255)
    else:
        n, width = (3, max(3, size // 12)) if kind == "strokes" else (6, 1)
        for _ in range(n):
            pts = [tuple(r.uniform(0, size, 2)) for _ in range(3 if kind == "strokes" else 2)]
            d.line(pts, fill=255, width=width)
    return np.asarray(im)


def test_cases(out: str, size: int = 64, crops: int = 2):
    """Write test images and masks; returns [(name, image_path, mask_path)]."""
    os.makedirs(out, exist_ok=True)
    cases = []
    rows = [r for r in D.read_list() if r["split"] == "test"]
    for i, r in enumerate(rows):
        im = D.load_photo(os.path.join(D.HERE, r["file"]), 1024)
        h, w = im.shape[:2]
        for j in range(crops):
            side = min(h, w) if j == 0 else min(h, w) // 4  # the whole photo, then a close-up
            y, x = (h - side) // 2, (w - side) // 2
            c = Image.fromarray(im[y:y + side, x:x + side]).resize((size, size), Image.BOX)
            ip = os.path.join(out, f"img{i:02d}_{j}.png")
            c.save(ip)
            for k, kind in enumerate(MASKS):
                mp = os.path.join(out, f"mask_{kind}_{i:02d}_{j}.png")
                Image.fromarray(make_mask(kind, size, 1000 * i + 10 * j + k)).save(mp)
                cases.append((f"{i:02d}_{j}_{kind}", ip, mp, kind))
    return cases


def ssim_map(a, b):  # a, b float [H, W, 3] in [0, 1] -> [H, W]
    C1, C2 = 0.01 ** 2, 0.03 ** 2
    f = lambda x: uniform_filter(x, size=(7, 7, 1), mode="reflect")
    ma, mb = f(a), f(b)
    va, vb, cov = f(a * a) - ma ** 2, f(b * b) - mb ** 2, f(a * b) - ma * mb
    s = ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma ** 2 + mb ** 2 + C1) * (va + vb + C2))
    return s.mean(-1)


def seam(img, m):  # mean |jump| across the mask edge; img [H, W, 3] in [0, 1], m bool [H, W]
    jumps = []
    for ax in (0, 1):
        a, b = np.take(m, range(m.shape[ax] - 1), ax), np.take(m, range(1, m.shape[ax]), ax)
        edge = a != b
        d = np.abs(np.diff(img, axis=ax)).mean(-1)
        jumps.append(d[edge])
    j = np.concatenate(jumps)
    return float(j.mean()) if len(j) else 0.0


def score(orig, fill, m):
    o, f = orig.astype(np.float64) / 255, fill.astype(np.float64) / 255
    mse = ((o - f) ** 2)[m].mean()
    return {"psnr_db": float(10 * math.log10(1 / max(mse, 1e-10))), "ssim": float(ssim_map(o, f)[m].mean()),
            "l1": float(np.abs(o - f)[m].mean()), "seam": seam(f, m), "seam_original": seam(o, m)}


def run_cli(pack, image, mask, out, method, steps, seed):
    cmd = ["node", CLI, "inpaint", "--image", image, "--mask", mask, "--out", out, "--method", method,
           "--seed", str(seed), "--json", "--overwrite", "--pack", pack]
    if steps:
        cmd += ["--steps", str(steps)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if r.returncode:
        raise RuntimeError(r.stderr.strip())
    return json.loads(r.stdout.strip().splitlines()[-1])


def run_inpaint(pack: str, cases, steps_list, work: str, seed: int = 1):
    """Returns {method_key: [per-case metric dicts]} and the fill paths for the pictures."""
    res, paths = {}, {}
    for ci, (name, ip, mp, kind) in enumerate(cases):
        orig = np.asarray(Image.open(ip).convert("RGB"))
        m = np.asarray(Image.open(mp)) > 127
        for si, steps in enumerate(steps_list):
            method = "both" if si == len(steps_list) - 1 else "vqddm"
            out = os.path.join(work, f"fill_{name}_s{steps}.png")
            rep = run_cli(pack, ip, mp, out, method, steps, seed + ci)
            for f in rep["files"]:
                meth = "transformer" if f.endswith(".transformer.png") else "vqddm"
                key = meth if meth == "transformer" else f"vqddm_{steps}"
                s = score(orig, np.asarray(Image.open(f).convert("RGB")), m)
                s["ms_per_fill"] = float(rep["timings"][meth]["total"])
                s["mask"] = kind
                res.setdefault(key, []).append(s)
                paths[(name, key)] = f
        print(f"case {ci + 1}/{len(cases)} {name}", flush=True)
    return res, paths


def summarise(res):
    out = {}
    for key, rows in res.items():
        agg = {k: float(np.mean([r[k] for r in rows])) for k in ("psnr_db", "ssim", "l1", "seam", "seam_original",
                                                                  "ms_per_fill")}
        agg["per_mask"] = {kind: {k: float(np.mean([r[k] for r in rows if r["mask"] == kind]))
                                  for k in ("psnr_db", "ssim", "l1", "seam")} for kind in MASKS}
        agg["n"] = len(rows)
        out[key] = agg
    return out


@torch.no_grad()
def bits_per_code(n_val: int = 128):
    from . import diffusion as DF, transformer as TF
    from .export import load_models
    _, unet, gpt = load_models()
    G = torch.load(os.path.join(RUNS, "grids.pt"))
    v = G["val16"][:n_val].long()
    mn = DF.Multinomial(unet.cfg.K, unet.cfg.T, unet.cfg.sched())
    return {"diffusion": DF.elbo_bits(unet, mn, v), "transformer": TF.val_bits(gpt, v), "val_grids": len(v),
            "uniform": math.log2(unet.cfg.K)}


def loss_curves(png: str):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 4, figsize=(18, 3.8))
    L = lambda p: Log(os.path.join(RUNS, p, "log.jsonl")).rows()
    v = L("vqgan")
    tr = [r for r in v if r["stage"] == "vqgan"]
    ax[0].plot([r["seen"] for r in tr], [r["l1"] for r in tr], lw=0.6, label="train L1")
    ax[0].set_xlabel("crops seen"); ax[0].set_title("VQ-GAN reconstruction L1"); ax[0].legend()
    va = [r for r in v if r["stage"] == "vqgan_val"]
    ax[1].plot([r["seen"] for r in va], [r["val_psnr"] for r in va], "o-", label="val PSNR (dB)")
    ax1b = ax[1].twinx()
    ax1b.plot([r["seen"] for r in va], [100 * r["usage"] for r in va], "s--", color="C1", label="usage %")
    ax[1].set_xlabel("crops seen"); ax[1].set_title("VQ-GAN validation PSNR / codebook usage")
    ax[1].legend(loc="lower left"); ax1b.legend(loc="lower right")
    d = L("diffusion")
    ax[2].plot([r["seen"] for r in d if r["stage"] == "diffusion"], [r["bits_est"] for r in d if r["stage"] == "diffusion"],
               lw=0.6, label="train (IS estimate)")
    ax[2].plot([r["seen"] for r in d if r["stage"] == "diffusion_val"],
               [r["val_bits_est"] for r in d if r["stage"] == "diffusion_val"], "o-", label="val (16-t estimate)")
    ax[2].set_title("diffusion ELBO, bits/code"); ax[2].set_xlabel("grids seen"); ax[2].legend()
    t = L("transformer")
    ax[3].plot([r["seen"] for r in t if r["stage"] == "transformer"], [r["bits"] for r in t if r["stage"] == "transformer"],
               lw=0.6, label="train")
    ax[3].plot([r["seen"] for r in t if r["stage"] == "transformer_val"],
               [r["val_bits"] for r in t if r["stage"] == "transformer_val"], "o-", label="val")
    ax[3].set_title("transformer NLL, bits/code"); ax[3].set_xlabel("grids seen"); ax[3].legend()
    for a in ax[2:]:
        a.set_ylim(top=min(a.get_ylim()[1], 12))
    fig.tight_layout()
    fig.savefig(png, dpi=80)


def examples_png(png, cases, paths, key_vq, picks, scale=3):
    """Rows: original | masked | VQ-DDM | transformer."""
    tiles = []
    for name, ip, mp, kind in [c for c in cases if c[0] in picks]:
        o = np.asarray(Image.open(ip).convert("RGB"))
        m = np.asarray(Image.open(mp)) > 127
        masked = o.copy(); masked[m] = [255, 0, 255]
        row = [o, masked] + [np.asarray(Image.open(paths[(name, k)]).convert("RGB")) for k in (key_vq, "transformer")]
        tiles.append(np.concatenate([np.pad(t, ((2, 2), (2, 2), (0, 0)), constant_values=255) for t in row], 1))
    g = np.concatenate(tiles, 0)
    Image.fromarray(g).resize((g.shape[1] * scale, g.shape[0] * scale), Image.NEAREST).save(png)


def stage_info(name):
    rows = Log(os.path.join(RUNS, name, "log.jsonl")).rows()
    last = [r for r in rows if "seen" in r]
    return {"crops_or_grids_seen": last[-1]["seen"] if last else 0,
            "steps": last[-1]["step"] if last else 0,
            "minutes": round(last[-1]["minutes"], 1) if last else 0}


def gather_metrics(pack: str, ev: dict) -> dict:
    from collections import Counter
    refit = json.load(open(os.path.join(RUNS, "refit", "metrics.json")))
    man = json.load(open(os.path.join(pack, "manifest.json")))
    rows = D.read_list()
    stages = {k: stage_info(k) for k in ("vqgan", "diffusion", "transformer")}
    stages["refit"] = {"minutes": round(refit["minutes"], 1), "finetune_steps": refit["finetune_steps"], "P": refit["P"]}
    G = torch.load(os.path.join(RUNS, "grids.pt"))
    keep = ("psnr_db", "ssim", "l1", "seam", "ms_per_fill")
    return {
        "train": {"photos": dict(Counter(r["split"] for r in rows)), "stages": stages,
                  "crops_seen": {"vqgan": stages["vqgan"]["crops_or_grids_seen"],
                                 "diffusion_grids": stages["diffusion"]["crops_or_grids_seen"],
                                 "transformer_grids": stages["transformer"]["crops_or_grids_seen"]},
                  "encoded_grids": {k: list(v.shape) for k, v in G.items()},
                  "minutes": {k: v["minutes"] for k, v in stages.items()},
                  "device": "cpu (2 shared cores, PyTorch " + torch.__version__ + ")"},
        "codebook_usage": {"before_refit": refit["before_refit"]["usage"], "after_refit": refit["after_refit"]["usage"]},
        "recon_psnr_db": {"before_refit": refit["before_refit"]["psnr"], "after_refit": refit["after_refit"]["psnr"],
                          "rebuilt_before_finetune": refit["rebuilt_no_finetune"]["psnr"]},
        "bits_per_code": {k: ev["bits_per_code"][k] for k in ("diffusion", "transformer", "uniform", "val_grids")},
        "inpaint": {k: {kk: v[kk] for kk in keep} for k, v in ev["inpaint"].items()},
        "inpaint_per_mask": {k: v["per_mask"] for k, v in ev["inpaint"].items()},
        "inpaint_setup": {"cases": ev["cases"], "image_size": 64, "masks": list(MASKS), "vqddm_steps": ev["steps"],
                          "seam_original": next(iter(ev["inpaint"].values()))["seam_original"]},
        "diffusion_T": man["diffusion"]["T"],
    }


def write_report(pack: str, M: dict, notes: str = "") -> None:
    man = json.load(open(os.path.join(pack, "manifest.json")))
    inp = M["inpaint"]
    keys = sorted(inp, key=lambda k: (k == "transformer", int(k.split("_")[1]) if k.startswith("vqddm_") else 0))
    tab = "| method | PSNR dB (higher) | SSIM (higher) | L1 (lower) | seam (lower) | ms per fill |\n|---|---|---|---|---|---|\n"
    for k in keys:
        v = inp[k]
        name = f"VQ-DDM, {k.split('_')[1]} steps" if k.startswith("vqddm_") else "transformer (top-k 100)"
        tab += f"| {name} | {v['psnr_db']:.2f} | {v['ssim']:.3f} | {v['l1']:.4f} | {v['seam']:.4f} | {v['ms_per_fill']:.0f} |\n"
    pm = M["inpaint_per_mask"]
    tab2 = "| method | " + " | ".join(MASKS) + " |\n|---|" + "---|" * len(MASKS) + "\n"
    for k in keys:
        tab2 += f"| {k} | " + " | ".join(f"{pm[k][m]['psnr_db']:.2f} / {pm[k][m]['seam']:.3f}" for m in MASKS) + " |\n"
    tr = M["train"]
    f = man["files"]
    size_mb = sum(os.path.getsize(os.path.join(pack, v["path"])) for v in f.values()) / 1e6
    txt = f"""# default pack

VQ-GAN (normalised 32-d code lookup, K = {man['latent']['codebook_size']}, 64 px -> 16 x 16 grid) with ReFiT, a discrete
(multinomial) diffusion prior (UNet, T = {man['diffusion']['T']}, cosine schedule with the square root) and a transformer prior
(GPT, {man['transformer']['layers']} layers x {man['transformer']['heads']} heads x {man['transformer']['head_dim']}), all trained from scratch on
{sum(tr['photos'].values())} photographs from Debian packages (`models/training/photos.tsv`: file, package, licence, split;
split by photo {tr['photos']}), on {tr['device']}. ONNX files total {size_mb:.1f} MB (weights stored as fp16, computed in fp32).

## Training
| stage | minutes | seen |
|---|---|---|
| 1 VQ-GAN (L1 + codebook + commitment, hinge PatchGAN in the last quarter, no LPIPS) | {tr['minutes']['vqgan']} | {tr['crops_seen']['vqgan']} crops of 64 px |
| 2 ReFiT (P = {tr['stages']['refit']['P']}, AFK-MC2 m = 200, k-means, decoder fine-tune) | {tr['minutes']['refit']} | {tr['stages']['refit']['finetune_steps']} steps |
| 4 diffusion (importance-sampled t, ELBO loss eq. 24; every 4th batch 32 x 32 grids) | {tr['minutes']['diffusion']} | {tr['crops_seen']['diffusion_grids']} grids |
| 5 transformer (next-code cross-entropy) | {tr['minutes']['transformer']} | {tr['crops_seen']['transformer_grids']} grids |

Encoded grids (stage 3): {tr['encoded_grids']}.

![loss curves](loss_curves.png)

## Codebook and reconstruction (validation crops, 64 px)
| | before ReFiT | after ReFiT |
|---|---|---|
| codebook usage (of K) | {100 * M['codebook_usage']['before_refit']:.1f}% | {100 * M['codebook_usage']['after_refit']:.1f}% |
| reconstruction PSNR | {M['recon_psnr_db']['before_refit']:.2f} dB | {M['recon_psnr_db']['after_refit']:.2f} dB (rebuilt codebook before fine-tuning: {M['recon_psnr_db']['rebuilt_before_finetune']:.2f} dB) |

## Priors (validation grids, bits per code; uniform = {M['bits_per_code']['uniform']:.2f})
- diffusion, full ELBO over all T terms + prior: **{M['bits_per_code']['diffusion']:.3f}**
- transformer, exact NLL: **{M['bits_per_code']['transformer']:.3f}**

## Inpainting on the test photos, through the engine (`bin/vqddm.js inpaint`)
{M['inpaint_setup']['cases']} cases: 64 x 64 crops of the {tr['photos'].get('test', 0)} test photos (whole photo and a 4x close-up) x 4 masks
({', '.join(MASKS)}); scores on the masked pixels only. Seam = mean intensity jump across the mask edge (the
originals have {M['inpaint_setup']['seam_original']:.4f}). Time = the engine's total per fill on the CPU provider.

{tab}
Per mask, PSNR dB / seam:

{tab2}
![example fills: original, mask, VQ-DDM, transformer](example_fills.png)

Columns of the picture: original, mask (magenta), VQ-DDM ({M['inpaint_setup']['vqddm_steps'][-1]} steps), transformer.

{notes}
"""
    open(os.path.join(pack, "REPORT.md"), "w").write(txt)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--pack", default=os.path.join(ROOT, "models", "default"))
    ap.add_argument("--steps", default="10,25,50")
    ap.add_argument("--crops", type=int, default=2)
    ap.add_argument("--work", default=os.path.join(RUNS, "eval"))
    ap.add_argument("--skip_bits", action="store_true")
    ap.add_argument("--notes", default="", help="markdown appended to REPORT.md")
    ap.add_argument("--report_only", action="store_true", help="rewrite metrics.json / REPORT.md from eval.json")
    ap.add_argument("--limit", type=int, default=0, help="only the first N cases (smoke test)")
    a = ap.parse_args(argv)
    steps = [int(s) for s in a.steps.split(",")]
    if a.report_only:
        M = gather_metrics(a.pack, json.load(open(os.path.join(a.work, "eval.json"))))
        json.dump(M, open(os.path.join(a.pack, "metrics.json"), "w"), indent=2)
        write_report(a.pack, M, open(a.notes).read() if a.notes else "")
        return
    t0 = time.time()
    cases = test_cases(os.path.join(a.work, "cases"), crops=a.crops)
    if a.limit:
        cases = cases[:a.limit]
    res, paths = run_inpaint(a.pack, cases, steps, a.work)
    summary = summarise(res)
    bits = None if a.skip_bits else bits_per_code()
    json.dump({"inpaint": summary, "bits_per_code": bits, "cases": len(cases), "steps": steps,
               "minutes": (time.time() - t0) / 60}, open(os.path.join(a.work, "eval.json"), "w"), indent=2)
    loss_curves(os.path.join(a.pack, "loss_curves.png"))
    picks = [c[0] for c in cases if c[0].endswith(("_0_centre", "_1_half", "_0_strokes"))][:8]
    examples_png(os.path.join(a.pack, "example_fills.png"), cases, paths, f"vqddm_{steps[-1]}", picks)
    print(json.dumps({k: {kk: round(vv, 4) for kk, vv in v.items() if kk not in ("per_mask",)} for k, v in summary.items()},
                     indent=1))
    print("bits", bits)
    if not a.skip_bits:
        M = gather_metrics(a.pack, json.load(open(os.path.join(a.work, "eval.json"))))
        json.dump(M, open(os.path.join(a.pack, "metrics.json"), "w"), indent=2)
        notes = open(a.notes).read() if a.notes and os.path.exists(a.notes) else ""
        write_report(a.pack, M, notes)


if __name__ == "__main__":
    main()

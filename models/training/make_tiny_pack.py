"""Make models/tiny: a pack with random weights and tiny widths, for the engine's fast tests.

    /usr/bin/python3 -m models.training.make_tiny_pack [--out models/tiny]      # needs the CLI built (npm run build)

Deterministic (fixed seed) apart from ONNX serialisation details of the installed torch version. The pack is
then run through the app's engine (`bin/vqddm.js inpaint`, both methods, every stage), and REPORT.md is written
from that run, so it describes the files that ship.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile

import numpy as np
from PIL import Image

import torch

from .diffusion import DiffConfig, UNet
from .export import export_pack
from .guided import GuidedDecoder
from .transformer import GPT, GPTConfig
from .vqgan import VQConfig, VQGAN

K, T, GRID = 64, 20, 16


def tiny_models(seed: int = 0):
    torch.manual_seed(seed)
    vq = VQGAN(VQConfig(ch=8, ch_mult=(1, 1, 2), num_res=1, code_dim=8, K=K))
    unet = UNet(DiffConfig(K=K, T=T, ch=16, ch_mult=(1, 2), num_res=1, emb_dim=16))
    gpt = GPT(GPTConfig(K=K, grid=GRID, layers=2, heads=2, head_dim=16))
    guided = GuidedDecoder.from_vq(vq)
    torch.nn.init.normal_(guided.refine.out.weight, std=0.05)  # non-zero, so the refinement is exercised
    return vq, unet, gpt, guided


ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PHOTO = os.path.join(ROOT, "tests", "fixtures", "photo.jpg")

REPORT = """# tiny pack (random weights)

This pack has **random, untrained weights** and tiny widths. It exists so the engine's tests can load a real
pack and run every network in milliseconds; its fills are noise. Made by `models/training/make_tiny_pack.py`
(seed 0): K = {K}, grid {GRID} (grids 16 and 32 accepted), T = {T}, VQ-GAN width 8, UNet width 16,
transformer 2 layers x 2 heads x 16, guided decoder on the VQ-GAN's decoder. Pack format_version {version}, the
tensor contract of every pack (models/README.md). {size_kb} kB in all.

## Checked through the engine (the same run of the script as the files)
`bin/vqddm.js inpaint --pack models/tiny --method both` on `tests/fixtures/photo.jpg` ({w}x{h}) with a {side} px
centred box, every stage, seed 1, provider {provider}: the graphs load and run in onnxruntime-node ({stages});
pixels changed outside the box: {outside}; inside it, at least {changed_pct:.0f} % (the smaller of the two methods).

| method | model calls | ms (whole fill) |
|---|---:|---:|
{rows}
"""


def engine_check(pack: str) -> dict:
    """Fills the fixture photo through the app's CLI with this pack; what the report says of it."""
    cli = os.path.join(ROOT, "bin", "vqddm.js")
    photo = np.asarray(Image.open(PHOTO).convert("RGB"))
    h, w = photo.shape[:2]
    side = min(w, h) // 4
    y0, x0 = (h - side) // 2, (w - side) // 2
    box = np.zeros((h, w), np.uint8)
    box[y0:y0 + side, x0:x0 + side] = 255
    with tempfile.TemporaryDirectory() as d:
        mask = os.path.join(d, "mask.png")
        Image.fromarray(box).save(mask)
        r = subprocess.run(["node", cli, "inpaint", "--pack", pack, "--image", PHOTO, "--mask", mask, "--out",
                            os.path.join(d, "fill.png"), "--method", "both", "--seed", "1", "--json"],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise SystemExit(f"the engine could not fill with {pack} (is the CLI built? npm run build): {r.stderr.strip()}")
        rep = json.loads(r.stdout.strip().splitlines()[-1])
        inside, outside, rows = box > 0, 0, []
        changed = []
        for method in ("vqddm", "transformer"):
            fill = np.asarray(Image.open(os.path.join(d, f"fill.{method}.png")).convert("RGB"))
            diff = (fill != photo).any(-1)
            outside += int(diff[~inside].sum())
            changed.append(diff[inside].mean())
            t = rep["timings"][method]
            rows.append(f"| {method} | {t['model_calls']} | {t['total']:.0f} |")
    stages = " + ".join(rep["timings"]["vqddm"]["stages"])
    return {"w": w, "h": h, "side": side, "provider": rep["provider"], "outside": outside, "stages": f"stages {stages}",
            "changed_pct": 100 * min(changed), "rows": "\n".join(rows)}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tiny"))
    a = ap.parse_args(argv)
    vq, unet, gpt, guided = tiny_models()
    m = export_pack(a.out, vq, unet, gpt, guided=guided, name="tiny", description="random weights, for tests only",
                    grids=(16, 32), default_steps=10,
                    training={"note": "random weights (untrained)", "seed": 0, "script": "models/training/make_tiny_pack.py"})
    size_kb = sum(os.path.getsize(os.path.join(a.out, f["path"])) for f in m["files"].values()) // 1024
    check = engine_check(os.path.abspath(a.out))
    with open(os.path.join(a.out, "REPORT.md"), "w") as fh:
        fh.write(REPORT.format(K=K, GRID=GRID, T=T, version=m["format_version"], size_kb=size_kb, **check))
    print("wrote", os.path.abspath(a.out))


if __name__ == "__main__":
    main()

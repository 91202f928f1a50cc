"""Stage 3: encode training / validation crops to code grids once, stored compactly as int16.

    nice -n 10 /usr/bin/python3 -m models.training.encode --n16 40000 --n32 4000

Output runs/grids.pt: {"train16": int16 [N, 16, 16], "val16": int16 [M, 16, 16], "train32": int16 [N2, 32, 32],
"val32": ..., "train64": int16 [N3, 64, 64], "val64": ...}; the 64 grids are crops at the photo's own scale, the
grid a detail pass works on (one code per 4x4 photo pixels). Test photos are never encoded here.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from . import data as D
from .common import HERE, RUNS, load_fp16_model, parse_config, pick_device, setup_threads
from .vqgan import VQConfig, VQGAN


@dataclass
class EncodeConfig:
    n16: int = 40000              # 64px training crops -> 16x16 grids
    n32: int = 4000               # 128px training crops -> 32x32 grids (0: none)
    n64: int = 0                  # 256px crops at the photo's own scale (long side up to 4096) -> 64x64 grids
    nval: int = 1024
    batch: int = 64
    threads: int = 2
    seed: int = 7
    vq: str = os.path.join(RUNS, "refit", "vqgan_refit_fp16.pt")
    out: str = os.path.join(RUNS, "grids.pt")
    images: str = ""


# the VQ-GAN whose encoder and codebook the default pack's priors were trained on
SHIPPED_VQ = os.path.join(HERE, "checkpoints", "vqgan_refit_fp16.pt")


def load_vq(path, dev="cpu") -> VQGAN:
    return load_fp16_model(path, VQConfig, VQGAN, device=dev)


@torch.no_grad()
def encode_known(vq: VQGAN, x, m):
    """Codes as the engine has them before a fill: x [B, 3, P, P], mask m [B, 1, P, P] (1 = hole) -> the codes
    of x with its masked pixels mean-filled [B, P/4, P/4] and the unknown cells (touched by the mask)."""
    mean = (x * (1 - m)).sum((2, 3), keepdim=True) / (1 - m).sum((2, 3), keepdim=True).clamp_min(1)
    return vq.encode(torch.where(m > 0, mean.expand_as(x), x)), F.max_pool2d(m, 4)[:, 0] > 0


@torch.no_grad()
def encode_crops(model, ps, n, size, rng, dev, bs, **crop):
    out = []
    for i in range(0, n, bs):
        x = ps.batch(rng, min(bs, n - i), size, **crop).to(dev)
        out.append(model.encode(x).to(torch.int16).cpu())
    return torch.cat(out) if out else torch.zeros(0, size // 4, size // 4, dtype=torch.int16)


def main(argv=None):
    c = parse_config(EncodeConfig, argv)
    dev = pick_device()
    setup_threads(c.threads)
    model = load_vq(c.vq, dev)
    size = model.cfg.size
    rows = D.load_rows(c.images or None)
    tr, va = D.PhotoSet(rows, "train"), D.PhotoSet(rows, "val")
    rng = np.random.default_rng(c.seed)
    t0 = time.time()
    G = {"train16": encode_crops(model, tr, c.n16, size, rng, dev, c.batch),
         "val16": encode_crops(model, va, c.nval, size, rng, dev, c.batch)}
    if c.n32:
        G["train32"] = encode_crops(model, tr, c.n32, 2 * size, rng, dev, c.batch // 4)
        G["val32"] = encode_crops(model, va, c.nval // 4, 2 * size, rng, dev, c.batch // 4)
    if c.n64:
        native = {"scales": (1.0, 1.0)}
        tr, va = D.PhotoSet(rows, "train", max_side=4096), D.PhotoSet(rows, "val", max_side=4096)
        G["train64"] = encode_crops(model, tr, c.n64, 4 * size, rng, dev, max(1, c.batch // 16), **native)
        G["val64"] = encode_crops(model, va, max(16, c.nval // 16), 4 * size, rng, dev, max(1, c.batch // 16), **native)
    os.makedirs(os.path.dirname(c.out), exist_ok=True)
    torch.save(G, c.out)
    print({k: tuple(v.shape) for k, v in G.items()}, f"{(time.time() - t0) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()

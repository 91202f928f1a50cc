"""Bits per code of two packs' priors on the same validation grids, read straight from the packs' ONNX files.

    /usr/bin/python3 -m models.training.compare_priors --packs models/default,models/training/runs/priors2/pack \
        --grids models/training/runs/priors2/grids.pt [--n 64] [--ts 20] [--out compare.json]

Diffusion: the ELBO (sum of the T terms and the prior term) estimated from a fixed, evenly spaced subset of
`--ts` values of t (each term evaluated exactly at those t, the sum scaled by T / ts), one noise draw per
grid, seeded; on the 16x16, 32x32 and 64x64 validation grids (the 64x64 ones are crops at the photo's own
scale). Transformer: the exact NLL on the 16x16 grids and on 16x16 windows (seeded) of the larger grids,
its context being one 16x16 grid. Both packs see the very same grids, t values and noise.
"""
from __future__ import annotations

import argparse
import json
import math
import os

import numpy as np
import torch

from . import diffusion as DF
from . import transformer as TF
from .common import config_from, load_onnx_weights
from .export import export_diffusion, export_transformer


def load_diffusion(pack: str) -> DF.UNet:
    """The pack's diffusion prior as a PyTorch module (schedule from the manifest, the default architecture's
    widths, weights from the ONNX)."""
    man = json.load(open(os.path.join(pack, "manifest.json")))
    s = man["diffusion"]["schedule"]
    dc = DF.DiffConfig(K=man["latent"]["codebook_size"], T=man["diffusion"]["T"], sched_s=s["s"],
                       alpha_clip_min=s["alpha_clip_min"], sqrt_alpha=s["sqrt_alpha"])
    unet = DF.UNet(dc)
    load_onnx_weights(unet, os.path.join(pack, "diffusion.onnx"), export_diffusion)
    return unet.eval()


def load_priors(pack: str) -> tuple[DF.UNet, TF.GPT]:
    """The pack's two priors as PyTorch modules (architecture from the manifest, weights from the ONNX)."""
    man = json.load(open(os.path.join(pack, "manifest.json")))
    t = man["transformer"]
    gc = config_from(TF.GPTConfig, {"K": man["latent"]["codebook_size"], "grid": man["latent"]["grid"],
                                    "layers": t["layers"], "heads": t["heads"], "head_dim": t["head_dim"]})
    gpt = TF.GPT(gc)
    load_onnx_weights(gpt, os.path.join(pack, "transformer.onnx"), export_transformer)
    return load_diffusion(pack), gpt.eval()


@torch.no_grad()
def diffusion_bits(unet: DF.UNet, grids: torch.Tensor, ts: int, seed: int = 0, bs: int = 16) -> float:
    """ELBO estimate in bits per code on grids [N, H, W] from `ts` evenly spaced t (see the module doc)."""
    c = unet.cfg
    mn = DF.Multinomial(c.K, c.T, c.sched())
    t_values = np.unique(np.linspace(1, c.T, ts).round().astype(int))
    total = 0.0
    for i in range(0, len(grids), bs):
        z0 = grids[i:i + bs]
        gen = torch.Generator().manual_seed(seed + i)
        terms = 0.0
        for t in t_values:
            Lt, prior = mn.loss_terms(unet, z0, torch.full((len(z0),), int(t)), gen)
            terms += float(Lt.sum())
        total += terms * c.T / len(t_values) + float(prior.sum())
    return total / (grids.numel() * math.log(2))


def windows(grids: torch.Tensor, size: int, seed: int = 0) -> torch.Tensor:
    """One seeded size x size window of each grid [N, H, W] -> [N, size, size]."""
    if grids.shape[-1] == size:
        return grids
    return TF.windows(grids, len(grids), size, torch.Generator().manual_seed(seed))


def compare(packs: list[str], grids_path: str, n: int, ts: int) -> dict:
    G = torch.load(grids_path)
    val = {g: G[f"val{g}"][:n].long() for g in (16, 32, 64) if f"val{g}" in G}
    out = {"grids": {g: list(v.shape) for g, v in val.items()}, "t_values": ts, "packs": {}}
    for pack in packs:
        torch.manual_seed(0)
        unet, gpt = load_priors(pack)
        row = {}
        for g, v in val.items():
            row[f"diffusion_{g}"] = diffusion_bits(unet, v, ts)
            row[f"transformer_{g}"] = TF.val_bits(gpt, windows(v, gpt.cfg.grid))
        out["packs"][pack] = row
        print(pack, {k: round(x, 3) for k, x in row.items()}, flush=True)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--packs", required=True, help="comma-separated pack folders")
    ap.add_argument("--grids", required=True, help="grids.pt of models.training.encode (val16/val32/val64)")
    ap.add_argument("--n", type=int, default=64, help="validation grids per size")
    ap.add_argument("--ts", type=int, default=20, help="t values of the ELBO estimate")
    ap.add_argument("--out", default="")
    a = ap.parse_args(argv)
    res = compare(a.packs.split(","), a.grids, a.n, a.ts)
    if a.out:
        json.dump(res, open(a.out, "w"), indent=2)


if __name__ == "__main__":
    main()

"""Stage 2: ReFiT (rebuild and fine-tune the codebook), docs/METHOD.md.

    nice -n 10 /usr/bin/python3 -m models.training.refit --steps 160   # resumes the fine-tune from runs/refit/ckpt.pt

1. Collect P encoder outputs (unit vectors of the normalised lookup space) over random training crops:
   `per_crop` random spatial positions from each random crop (the paper takes one per image; several per
   crop is the same distribution at a fraction of the encoder passes).
2. Seed K centres with AFK-MC2 (Bachem et al. 2016) exactly as docs/METHOD.md, run Lloyd k-means to convergence.
3. The K centres (re-normalised: the lookup is cosine) become the codebook; fine-tune the decoder with the
   encoder (and the new codebook) frozen: L1 + the stage-1 hinge PatchGAN term.
Reports validation codebook usage and PSNR before and after (runs/refit/metrics.json).
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from . import data as D
from .common import RUNS, config_from, fp16_state, load_ckpt, parse_config
from .loop import TrainLoop
from .vqgan import VQConfig, VQGAN, PatchDisc, adaptive_weight, evaluate, gan_optimizers, hinge_d_loss


@dataclass
class RefitConfig:
    P: int = 20000                # encoder outputs collected
    per_crop: int = 8
    chain: int = 200              # AFK-MC2 Markov chain length m
    kmeans_iters: int = 100
    steps: int = 160              # decoder fine-tuning steps (~8 min on 2 CPU cores: ~22 steps/min), constant rate
    minutes: float = 15.0         # safety stop for one run of the fine-tune (rerun to continue)
    batch: int = 16
    lr: float = 2e-4
    disc_weight: float = 0.2      # lighter than stage 1's 0.8: this fine-tune is where PSNR is recovered
    ckpt_every_s: float = 120.0
    threads: int = 2
    seed: int = 0
    vq_ckpt: str = os.path.join(RUNS, "vqgan", "ckpt.pt")
    out: str = os.path.join(RUNS, "refit")
    images: str = ""


def sqdist(x, c):  # x [n, d], c [k, d] -> [n, k] squared Euclidean distances
    return (x.pow(2).sum(1, keepdim=True) - 2 * x @ c.T + c.pow(2).sum(1)[None]).clamp_min(0)


def afkmc2_proposal(X, c1):
    """q(x) = 1/2 d(x, c1)^2 / sum d^2 + 1/(2n)  -> float64 [n]."""
    d2 = sqdist(X, c1[None]).squeeze(1).double()
    n = X.shape[0]
    s = d2.sum()
    return (0.5 * d2 / s if s > 0 else torch.zeros_like(d2)) + 0.5 / n


def afkmc2_accept(dx, qx, dy, qy, u) -> bool:
    """Metropolis-Hastings step of AFK-MC2: move the chain from x to y when (dy q(x)) / (dx q(y)) > U
    (always when dx q(y) == 0)."""
    den = dx * qy
    return bool(den == 0 or (dy * qx) / den > u)


def afkmc2(X: torch.Tensor, k: int, m: int = 200, gen: torch.Generator | None = None) -> torch.Tensor:
    """AFK-MC2 seeding: X [n, d] -> k initial centres [k, d]."""
    n = X.shape[0]
    gen = gen or torch.Generator().manual_seed(0)
    first = int(torch.randint(n, (1,), generator=gen))
    centres = [X[first]]
    q = afkmc2_proposal(X, X[first])
    mind = sqdist(X, X[first][None]).squeeze(1)  # min squared distance of every point to the centres
    for _ in range(1, k):
        cand = torch.multinomial(q, m, replacement=True, generator=gen)  # x, then m-1 proposals y
        us = torch.rand(m, generator=gen, dtype=torch.float64)
        x = int(cand[0])
        dx = float(mind[x])
        for j in range(1, m):
            y = int(cand[j])
            dy = float(mind[y])
            if afkmc2_accept(dx, float(q[x]), dy, float(q[y]), float(us[j])):
                x, dx = y, dy
        centres.append(X[x])
        mind = torch.minimum(mind, sqdist(X, X[x][None]).squeeze(1))
    return torch.stack(centres)


def kmeans(X: torch.Tensor, C: torch.Tensor, iters: int = 100, tol: float = 1e-6):
    """Lloyd's k-means from centres C [k, d]; empty clusters are re-seeded at the worst-fit points.
    Returns (centres [k, d], assignment [n], inertia)."""
    prev = None
    for it in range(iters):
        d = sqdist(X, C)
        mind, a = d.min(1)
        inertia = float(mind.sum())
        counts = torch.bincount(a, minlength=C.shape[0])
        newC = torch.zeros_like(C).index_add_(0, a, X) / counts.clamp_min(1)[:, None].to(X.dtype)
        empty = (counts == 0).nonzero().flatten()
        if len(empty):
            far = mind.topk(len(empty)).indices
            newC[empty] = X[far]
        nonempty = counts > 0
        C = torch.where(nonempty[:, None], newC, newC)
        if prev is not None and abs(prev - inertia) <= tol * max(prev, 1e-12) and not len(empty):
            break
        prev = inertia
    return C, a, inertia


@torch.no_grad()
def collect(model: VQGAN, ps: D.PhotoSet, P: int, per_crop: int, size: int, rng, dev, bs=64):
    """P encoder output vectors [P, code_dim] from random positions of random training crops."""
    model.eval()
    out, got = [], 0
    while got < P:
        x = ps.batch(rng, bs, size).to(dev)
        h = model.encode_h(x)  # [bs, d, H, W]
        B, d, H, W = h.shape
        flat = h.permute(0, 2, 3, 1).reshape(B, H * W, d)
        idx = torch.from_numpy(rng.integers(0, H * W, (B, per_crop))).to(dev)
        out.append(torch.gather(flat, 1, idx[..., None].expand(-1, -1, d)).reshape(-1, d))
        got += B * per_crop
    return torch.cat(out)[:P]


def refit(c: RefitConfig, log_every: int = 25):
    """Rebuild the codebook, then fine-tune the decoder (resumable: a rerun continues the fine-tune)."""
    loop = TrainLoop("refit_ft", c, floor=1.0, log_every=log_every)  # floor 1: a constant rate
    dev = loop.device
    ck = load_ckpt(c.vq_ckpt, dev)
    vc = config_from(VQConfig, ck["cfg"])
    model = VQGAN(vc).to(dev)
    model.load_state_dict(ck["model"])
    disc = PatchDisc(vc.disc_ch).to(dev)
    disc.load_state_dict(ck["disc"])
    rows = D.load_rows(c.images or None)
    tr, va = D.PhotoSet(rows, "train"), D.PhotoSet(rows, "val")
    val = va.fixed_crops(192, vc.size).to(dev)  # same crops as stage 1's validation
    # fine-tune the decoder, encoder and codebook frozen
    for p in model.parameters():
        p.requires_grad_(False)
    for p in model.decoder.parameters():
        p.requires_grad_(True)
    opt, opt_d = gan_optimizers(model.decoder.parameters(), disc, c.lr)
    # the rebuild's results, kept in the checkpoint so that a resumed fine-tune reports them; a checkpoint
    # made from another VQ-GAN checkpoint (stage 1 trained on since) is not resumed
    metrics = {"vq_step": ck.get("step")}
    loop.track(model=model, disc=disc, opt=opt, opt_d=opt_d, metrics=metrics)
    prev = load_ckpt(loop.ckpt_path)
    if prev and prev.get("metrics", {}).get("vq_step") == metrics["vq_step"]:
        loop.resume()
    else:
        t1 = time.time()
        psnr0, use0 = evaluate(model, val)
        loop.log(stage="refit", phase="before", val_psnr=psnr0, usage=use0)
        rng = np.random.default_rng(c.seed)
        X = collect(model, tr, c.P, c.per_crop, vc.size, rng, dev)
        C0 = afkmc2(X.cpu().double(), vc.K, c.chain, torch.Generator().manual_seed(c.seed)).to(X)
        C, a, inertia = kmeans(X, C0, c.kmeans_iters)
        loop.log(stage="refit", phase="kmeans", P=len(X), inertia=inertia, seconds=time.time() - t1,
                 clusters_used=int(torch.bincount(a, minlength=vc.K).gt(0).sum()))
        with torch.no_grad():
            model.quant.codebook.copy_(F.normalize(C, dim=1))
        psnr1, use1 = evaluate(model, val)
        loop.log(stage="refit", phase="rebuilt", val_psnr=psnr1, usage=use1)
        metrics.update(before_refit={"usage": use0, "psnr": psnr0}, rebuilt_no_finetune={"usage": use1, "psnr": psnr1},
                       P=len(X), kmeans_inertia=inertia, rebuild_minutes=(time.time() - t1) / 60)
        loop.save()  # a kill during the fine-tune does not redo the k-means
    model.train()
    rng = np.random.default_rng(loop.data_seed + 1)
    last = model.decoder.conv_out.weight

    def step(i):
        x = tr.batch(rng, c.batch, vc.size).to(dev)
        with torch.no_grad():
            idx = model.encode(x)
        xr = model.decode(idx)
        rec = (x - xr).abs().mean()
        g = -disc(xr).mean()
        loop.update(rec + adaptive_weight(rec, g, last, c.disc_weight) * g, opt, model.decoder)
        loop.update(hinge_d_loss(disc, x, xr), opt_d, disc)
        return c.batch, {"l1": float(rec), "g": float(g)}

    loop.run(step, exports=lambda: {"vqgan_refit_fp16.pt": {"cfg": asdict(vc), "model": fp16_state(model)}})
    psnr2, use2 = evaluate(model, val)
    loop.log(stage="refit", phase="after", val_psnr=psnr2, usage=use2, steps=loop.step)
    metrics = {**metrics, "after_refit": {"usage": use2, "psnr": psnr2}, "finetune_steps": loop.step,
               "minutes": metrics["rebuild_minutes"] + loop.minutes(), "val_crops": len(val)}
    if loop.ddp.main:
        with open(os.path.join(c.out, "metrics.json"), "w") as fh:
            json.dump(metrics, fh, indent=2)
    return model, metrics


def main(argv=None):
    refit(parse_config(RefitConfig, argv))


if __name__ == "__main__":
    main()

"""Codes as a fill has them: training crops whose hole's codes come from the pack's diffusion prior.

    nice -n 10 /usr/bin/python3 -m models.training.prior_codes --pack models/default --n 768 \
        --out models/training/runs/prior_pool.pt

Why: a decoder trained only on encoder codes never meets the code combinations a prior paints into a hole.
The sharper decoder (`sharpen.py`) turned exactly those into ring-shaped texture, which cost fills 0.2-0.4 dB
(models/default/REPORT.md). `sharpen --prior_pool` trains on this pool so that the decoder's adversarial
term also sees the decodes of prior-filled holes.

The hole's codes are sampled as the engine's `sampleVqddm` samples them (electron/engine/samplers/vqddm.ts):
the known cells held at their codes at every step, the unknown cells drawn from
p(z_s | z_t) = sum_z0 p(z_0 | z_t) q(z_s | z_t, z_0) over the evenly skipped time sequence. The crop is
mean-filled under the mask before encoding, as the engine does, and a cell is unknown when the mask touches it.
"""
from __future__ import annotations

import argparse
import math

import numpy as np
import torch
import torch.nn.functional as F

from . import data as D
from . import masks as M
from . import schedule as SC
from .compare_priors import load_diffusion
from .encode import SHIPPED_VQ, encode_known, load_vq


def time_sequence(T: int, steps: int) -> list[int]:
    """As the engine's timeSequence: T down to 0 in `steps` rounded, even steps."""
    return [round(T * (1 - i / steps)) for i in range(steps + 1)]


def skip_posterior_weights(log_p0, zt, abar_t: float, abar_s: float):
    """p(z_s | z_t) for s < t, unnormalised: log_p0 [B, K, H, W] (normalised), zt [B, H, W] -> [B, K, H, W].

    With r(z_0) = p(z_0 | z_t) / q(z_t | z_0) and a = abar_t / abar_s:
    p(z_s | z_t) ~ q(z_t | z_s) * (abar_s r(z_s) + (1 - abar_s) / K * sum r)."""
    K = log_p0.shape[1]
    onehot = F.one_hot(zt, K).permute(0, 3, 1, 2).to(log_p0.dtype)  # [B, K, H, W]
    r = log_p0.exp() / (abar_t * onehot + (1 - abar_t) / K)
    a = abar_t / abar_s
    return (a * onehot + (1 - a) / K) * (abar_s * r + (1 - abar_s) / K * r.sum(1, keepdim=True))


def draw_skip_posterior(log_p0, zt, abar_t: float, abar_s: float, gen: torch.Generator):
    """z_s ~ p(z_s | z_t) -> [B, H, W] (Gumbel-max over the weights' logs)."""
    w = skip_posterior_weights(log_p0, zt, abar_t, abar_s)
    u = torch.rand(w.shape, generator=gen, device=w.device).clamp_min(1e-30)
    return (w.clamp_min(1e-30).log() - torch.log(-torch.log(u))).argmax(1)


def truncate(log_p0, r: float):
    """As the engine's truncation (temperLogP0): per cell, the most likely classes in turn while the mass kept
    so far is under r, renormalised; the rest -inf. log_p0 [B, K, H, W] (normalised) -> the same shape."""
    if r >= 1:
        return log_p0
    srt, order = log_p0.sort(1, descending=True)
    before = srt.exp().cumsum(1) - srt.exp()  # mass of the classes ahead of each
    kept = torch.zeros_like(log_p0, dtype=torch.bool).scatter(1, order, before < r)
    out = log_p0.masked_fill(~kept, float("-inf"))
    return out - out.logsumexp(1, keepdim=True)


@torch.no_grad()
def inpaint_codes(unet, abar: np.ndarray, known, unknown, steps: int, gen: torch.Generator, truncation: float = 1.0):
    """Masked reverse diffusion: known [B, G, G] codes, unknown [B, G, G] bool -> codes [B, G, G]; truncation
    r < 1 samples each step's p(z_0 | z_t) truncated to mass r, as the engine does at its default."""
    K, T = unet.cfg.K, len(abar) - 1
    times = time_sequence(T, steps)

    z = torch.where(unknown, torch.randint(0, K, known.shape, generator=gen, device=known.device), known)
    for t, s in zip(times[:-1], times[1:]):
        log_p0 = truncate(unet(z, torch.full((z.shape[0],), t, dtype=torch.long, device=z.device)), truncation)  # [B, K, G, G]
        drawn = draw_skip_posterior(log_p0, z, float(abar[t]), float(abar[s]), gen)
        z = torch.where(unknown, drawn, known)  # known cells hold their codes, as in the engine
    return z


def mask_batch(rng: np.random.Generator, n: int, S: int) -> torch.Tensor:
    """[n, 1, S, S] in {0, 1}: boxes and blobs of 5-35 % of the crop and brush strokes, as users paint holes
    (thin scratches are left out: their few cells barely change a decode)."""
    ms = [M.random_mask(rng, S, S, weights=(1, 1, 1, 0), area=(0.05, 0.35)) for _ in range(n)]
    return torch.from_numpy(np.stack(ms)[:, None] / 255.0).float()


@torch.no_grad()
def make_pool(pack: str, vq_path: str, n: int, sizes=(64, 96, 128), scales=(1.0, 4.0), steps: int = 10,
              batch: int = 8, seed: int = 0, split: str = "train", max_side: int = 2400) -> dict:
    """{S: {"x": uint8 [N, 3, S, S], "codes": int16 [N, S/4, S/4], "unknown": bool [N, S/4, S/4]}}:
    about n crops in all, spread over the sizes."""
    unet = load_diffusion(pack)
    vq = load_vq(vq_path).eval()
    dc = unet.cfg
    abar = SC.alpha_bars(dc.T, dc.sched())
    ps = D.PhotoSet(D.read_list(), split, max_side)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    pool = {}
    for S in sizes:
        xs, cs, us = [], [], []
        for _ in range(math.ceil(n / len(sizes) / batch)):
            x = ps.batch(rng, batch, S, scales=scales)  # [B, 3, S, S] in [-1, 1]
            m = mask_batch(rng, batch, S)
            known, unknown = encode_known(vq, x, m)  # [B, G, G] each
            codes = inpaint_codes(unet, abar, known, unknown, steps, gen)
            xs.append(((x + 1) * 127.5).round().to(torch.uint8))
            cs.append(codes.to(torch.int16))
            us.append(unknown)
        pool[S] = {"x": torch.cat(xs), "codes": torch.cat(cs), "unknown": torch.cat(us)}
    return pool


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pack", default="models/default")
    ap.add_argument("--vq", default=SHIPPED_VQ, help="the VQ-GAN whose encoder made the pack's codes")
    ap.add_argument("--n", type=int, default=768)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    pool = make_pool(a.pack, a.vq, a.n, steps=a.steps, seed=a.seed)
    torch.save(pool, a.out)
    print({S: tuple(p["x"].shape) for S, p in pool.items()})


if __name__ == "__main__":
    main()

"""Stage 2b: the guided decoder, which decodes a fill's codes at the photo's own scale while seeing the known pixels.

    nice -n 10 /usr/bin/python3 -m models.training.guided --steps 4000   # resumes runs/guided/ckpt.pt

Why: the plain decoder turns a G x G code grid into a 4G px image (64 or 128 px) that the engine then resizes to
the crop, often 2-5x: fills come out blurry and blocky. This decoder takes
  codes  [B, G, G]        the fill's codes (known cells from the encoder, unknown ones from a prior)
  known  [B, 3, S, S]     the crop at the photo's own scale in [-1, 1] (masked pixels are ignored)
  mask   [B, 1, S, S]     1 = to fill
and returns [B, 3, S, S] for any S divisible by 4 with S >= 4G: the plain decoder's 4G px output resized to S,
plus a refinement at S that sees the known pixels and the mask (the masked-image branch of PUT, Liu et al.
CVPR 2022, applied after decoding). Encoder, codebook and decoder stay frozen, so both priors stay valid and
both methods share it; it starts as the plain decoder plus a bilinear resize (zero-initialised output).

Losses: L1 (whole crop + again inside the hole) and L1 between FFT magnitudes (holds texture energy that L1
alone averages away). A two-scale mask-conditioned PatchGAN (hinge, lazy R1, feature matching) is available
(--w_gan, --w_fm) but off: in the first version's 1500 steps on these cores its discriminator never left
chance (hinge loss 2.0) while costing 40 % of each step.
Training crops: S in `sizes` at scale 1-3x of photos loaded at up to 1280 px, codes from the crop resized to 4G
px: the known cells encode the mean-filled crop, as the engine does, the unknown ones the true crop (with
--code_noise, up to that share of them swapped for codes from elsewhere in the crop, the kind of error a
prior makes; tried at 0.5, it filled worse in the engine), or with --prior_pack the hole's codes a fill has: drawn by
that pack's diffusion prior at its default steps and truncation, from the known cells' codes.
Trained by the common loop (models/training/loop.py): the learning rate follows steps (cosine over `steps`),
so a run split over sessions follows one schedule; data-parallel under torchrun (models/training/dist.py),
`batch` per process.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import data as D
from . import masks as M
from . import schedule as SC
from .compare_priors import load_diffusion
from .common import RUNS, fp16_state, n_params, parse_config
from .encode import SHIPPED_VQ, encode_known, load_vq
from .loop import TrainLoop
from .prior_codes import inpaint_codes
from .vqgan import VQConfig, VQGAN, Decoder, ResBlock, gan_optimizers


@dataclass
class GuidedConfig:
    vq: str = SHIPPED_VQ
    sizes: str = "96,128,160"         # training crop sides at the photo's scale (px, divisible by 4)
    grids: str = "16,32"              # code grids; a grid is used only when 4G <= S
    max_side: int = 1280              # photos loaded at up to this long side
    scales: str = "1,3"               # crop = S * s photo pixels resized to S, s log-uniform in this range
    batch: int = 8
    lr: float = 2e-4
    steps: int = 4000                 # length of the cosine schedule (all sessions together)
    minutes: float = 80.0             # safety stop for one run (rerun to continue)
    w_hole: float = 1.0               # extra L1 inside the hole
    code_noise: float = 0.0           # up to this share of the hole's codes swapped for others of the crop
                                      # (0.5 was tried and filled worse in the engine: models/default/REPORT.md)
    prior_pack: str = ""              # a pack whose diffusion prior samples the hole's codes, as a fill has them
                                      # (its default steps and truncation); "": the true codes
    w_fft: float = 0.5
    w_gan: float = 0.0                # adversarial terms (off: see the module's docstring)
    w_fm: float = 0.0
    r1_gamma: float = 0.002          # on the summed patch logits (many per crop), hence small
    r1_every: int = 4
    disc_ch: int = 32
    val_every: int = 250
    ckpt_every_s: float = 120.0
    threads: int = 2
    seed: int = 0
    out: str = os.path.join(RUNS, "guided")
    images: str = ""


class Refiner(nn.Module):
    """[decoded and resized (3), known pixels (3), mask (1)] at S -> a residual [3] at S. One full-resolution
    conv in and out, the body at S/2 (most of the cost), a skip at S. Zero-initialised output: it starts as
    the plain decoder followed by a bilinear resize."""

    def __init__(self, width: int = 48, blocks: int = 4):
        super().__init__()
        half = width // 2
        self.inp = nn.Conv2d(7, half, 3, padding=1)
        self.down = nn.Conv2d(half, width, 3, stride=2, padding=1)
        self.body = nn.Sequential(*[ResBlock(width, width) for _ in range(blocks)])
        self.fuse = nn.Conv2d(width + half, half, 3, padding=1)
        self.out = nn.Conv2d(half, 3, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x):  # [B, 7, S, S] -> [B, 3, S, S]
        h0 = F.silu(self.inp(x))  # [B, w/2, S, S]
        h = self.body(F.silu(self.down(h0)))  # [B, w, S/2, S/2]
        h = F.interpolate(h, scale_factor=2.0, mode="nearest")
        return self.out(F.silu(self.fuse(torch.cat([h, h0], 1))))


class GuidedDecoder(nn.Module):
    """The plain decoder at the codes' own resolution (4G px), resized to the crop's S, plus a refinement
    that sees the known pixels and the mask at S.

    A first version fed bilinearly resized code embeddings to the decoder at S/4 with the known pixels
    injected at its three scales (PUT-style): resizing embeddings leaves the codebook's manifold, and in the
    engine it filled 1.2 dB worse than decoding at 4G and resizing the pixels, before any training, and
    1300 steps did not recover it (models/default/REPORT.md). Decoding first and refining pixels keeps the
    decoder's codes exact."""

    def __init__(self, vc: VQConfig, width: int = 48, blocks: int = 4):
        super().__init__()
        self.vc = vc
        self.codebook = nn.Parameter(torch.zeros(vc.K, vc.code_dim), requires_grad=False)  # normalised, frozen
        self.dec = Decoder(vc)
        self.refine = Refiner(width, blocks)

    @classmethod
    def from_vq(cls, vq: VQGAN) -> "GuidedDecoder":
        m = cls(vq.cfg)
        m.dec.load_state_dict(vq.decoder.state_dict())
        with torch.no_grad():
            m.codebook.copy_(vq.quant.codes_normed())
        return m

    def forward(self, codes, known, mask):  # [B, G, G] i64, [B, 3, S, S], [B, 1, S, S] -> [B, 3, S, S]
        base = self.dec(F.embedding(codes, self.codebook).permute(0, 3, 1, 2))  # [B, 3, 4G, 4G]
        base = F.interpolate(base, size=(known.shape[-2], known.shape[-1]), mode="bilinear", align_corners=False)
        return base + self.refine(torch.cat([base, known * (1 - mask), mask], 1))


class MaskedDisc(nn.Module):
    """PatchGAN over the composite (known pixels + fill) and the mask; returns logits and features."""

    def __init__(self, ch: int = 32):
        super().__init__()
        self.blocks = nn.ModuleList([
            nn.Sequential(nn.Conv2d(4, ch, 4, 2, 1), nn.LeakyReLU(0.2)),
            nn.Sequential(nn.Conv2d(ch, ch * 2, 4, 2, 1), nn.GroupNorm(8, ch * 2), nn.LeakyReLU(0.2)),
            nn.Sequential(nn.Conv2d(ch * 2, ch * 4, 3, 1, 1), nn.GroupNorm(8, ch * 4), nn.LeakyReLU(0.2)),
        ])
        self.head = nn.Conv2d(ch * 4, 1, 3, 1, 1)

    def forward(self, x, m):
        h, feats = torch.cat([x, m], 1), []
        for b in self.blocks:
            h = b(h)
            feats.append(h)
        return self.head(h), feats


class MultiScaleDisc(nn.Module):
    def __init__(self, ch: int = 32, scales: int = 2):
        super().__init__()
        self.discs = nn.ModuleList(MaskedDisc(ch) for _ in range(scales))

    def forward(self, x, m):
        out = []
        for i, d in enumerate(self.discs):
            if i:
                x, m = F.avg_pool2d(x, 2), F.avg_pool2d(m, 2)
            out.append(d(x, m))
        return out  # [(logits, feats)] per scale


def fft_mag_l1(a, b):
    """L1 between the magnitudes of the 2-D spectra (orthonormal), per channel."""
    fa = torch.fft.rfft2(a, norm="ortho").abs()
    fb = torch.fft.rfft2(b, norm="ortho").abs()
    return (fa - fb).abs().mean()


class HolePrior:
    """A pack's diffusion prior sampling a hole's codes as the engine's VQ-DDM does at the pack's defaults
    (masked reverse diffusion, its default steps and truncation): the codes a fill hands the decoder."""

    def __init__(self, pack: str, seed: int, dev):
        man = json.load(open(os.path.join(pack, "manifest.json")))["diffusion"]
        self.unet = load_diffusion(pack).to(dev)
        self.abar = SC.alpha_bars(self.unet.cfg.T, self.unet.cfg.sched())
        self.steps, self.truncation = int(man["default_steps"]), float(man.get("default_truncation", 1.0))
        self.gen = torch.Generator(device=dev).manual_seed(seed)

    def __call__(self, known, unknown):  # [B, G, G] codes, [B, G, G] bool -> [B, G, G]
        return inpaint_codes(self.unet, self.abar, known, unknown, self.steps, self.gen, self.truncation)


@torch.no_grad()
def make_batch(vq: VQGAN, ps: D.PhotoSet, rng: np.random.Generator, c: GuidedConfig, S: int, G: int, dev,
               prior: HolePrior | None = None):
    """x [B, 3, S, S], mask [B, 1, S, S], codes [B, G, G] as the engine would hand them to the decoder: the
    hole's codes drawn by `prior`, or without one the true codes (optionally swapped, `code_noise`)."""
    lo, hi = (float(v) for v in c.scales.split(","))
    x = ps.batch(rng, c.batch, S, scales=(lo, hi)).to(dev)
    ms = [M.random_mask(rng, S, S, area=(0.05, 0.35)) for _ in range(c.batch)]
    mask = torch.from_numpy(np.stack(ms)[:, None] / 255.0).float().to(dev)  # [B, 1, S, S]
    P = 4 * G
    x_low = F.interpolate(x, size=(P, P), mode="bilinear", antialias=True, align_corners=False) if P != S else x
    m_low = F.interpolate(mask, size=(P, P), mode="area") if P != S else mask
    known_codes, unknown = encode_known(vq, x_low, m_low)
    if prior is not None:
        return x, mask, prior(known_codes, unknown)
    true_codes = vq.encode(x_low)  # [B, G, G]
    codes = torch.where(unknown, true_codes, known_codes)
    if c.code_noise > 0:
        # A prior's fill is not the true codes: its typical error is a code from elsewhere in the picture (a
        # blotch of the wrong colour). Replace a random share (up to code_noise) of each crop's unknown cells
        # by codes from other cells of the same crop, so the refinement learns to weigh codes against context.
        B, G = codes.shape[0], codes.shape[-1]
        share = torch.rand(B, 1, 1, device=codes.device) * c.code_noise
        swap = unknown & (torch.rand(codes.shape, device=codes.device) < share)
        donors = torch.randint(0, G * G, codes.shape, device=codes.device)
        codes = torch.where(swap, true_codes.flatten(1).gather(1, donors.flatten(1)).view_as(codes), codes)
    return x, mask, codes


@torch.no_grad()
def evaluate(gd: GuidedDecoder, val: list) -> dict:
    """Validation PSNR over the whole crop and inside the hole (fixed crops, masks and codes)."""
    gd.eval()
    mse_all, mse_hole, n_hole = 0.0, 0.0, 0.0
    for x, mask, codes in val:
        y = gd(codes, x, mask).clamp(-1, 1)
        err = ((y - x) / 2) ** 2  # pixels in [0, 1]
        mse_all += float(err.mean()) * len(x)
        mse_hole += float((err * mask).sum() / 3)
        n_hole += float(mask.sum())
    gd.train()
    n = sum(len(v[0]) for v in val)
    return {"val_psnr": float(-10 * np.log10(mse_all / n)), "val_psnr_hole": float(-10 * np.log10(mse_hole / max(n_hole, 1)))}


def train(c: GuidedConfig, log_every: int = 25):
    loop = TrainLoop("guided", c, warmup=100, log_every=log_every)
    dev = loop.device
    vq = load_vq(c.vq).to(dev)
    for p in vq.parameters():
        p.requires_grad_(False)
    sizes = [int(s) for s in c.sizes.split(",")]
    grids = [int(g) for g in c.grids.split(",")]
    rows = D.load_rows(c.images or None)
    tr = D.PhotoSet(rows, "train", c.max_side)
    val = []
    if loop.ddp.main:
        va = D.PhotoSet(rows, "val", c.max_side)
        vrng = np.random.default_rng(1234)
        vprior = HolePrior(c.prior_pack, 1234, dev) if c.prior_pack else None
        val = [make_batch(vq, va, vrng, c, S, G, dev, vprior) for S in sizes for G in grids if 4 * G <= S]
    gd = GuidedDecoder.from_vq(vq).to(dev)
    disc = MultiScaleDisc(c.disc_ch).to(dev)
    for p in gd.dec.parameters():  # the plain decoder stays as shipped: only the refinement learns
        p.requires_grad_(False)
    opt, opt_d = gan_optimizers(gd.refine.parameters(), disc, c.lr)
    loop.track(model=gd, disc=disc, opt=opt, opt_d=opt_d)
    loop.resume()
    loop.say(f"guided decoder {n_params(gd) / 1e6:.2f}M params (refiner {n_params(gd.refine) / 1e6:.2f}M), "
             f"disc {n_params(disc) / 1e6:.2f}M, {len(tr)} train photos, device {dev}, {loop.ddp.world} process(es)")
    rng = np.random.default_rng(loop.data_seed)
    prior = HolePrior(c.prior_pack, loop.data_seed, dev) if c.prior_pack else None
    adversarial = c.w_gan > 0 or c.w_fm > 0

    def step(i):
        pick = np.random.default_rng(c.seed * 7919 + i)  # the same on every rank: one step, one S and G
        S = int(pick.choice(sizes))
        G = int(pick.choice([g for g in grids if 4 * g <= S]))
        x, mask, codes = make_batch(vq, tr, rng, c, S, G, dev, prior)
        y = gd(codes, x, mask)
        comp = x * (1 - mask) + y * mask
        l1 = (y - x).abs().mean()
        l1_hole = ((y - x).abs() * mask).sum() / (3 * mask.sum()).clamp_min(1)
        lf = fft_mag_l1(y, x)
        loss = l1 + c.w_hole * l1_hole + c.w_fft * lf
        g_adv = fm = d_loss = r1 = torch.zeros(())
        if adversarial:
            fake_out = disc(comp, mask)
            with torch.no_grad():
                real_feats = [f for _, fs in disc(x, mask) for f in fs]
            g_adv = sum(-lg.mean() for lg, _ in fake_out) / len(fake_out)
            fm = sum((a - b).abs().mean() for a, b in zip([f for _, fs in fake_out for f in fs], real_feats)) / len(real_feats)
            loss = loss + c.w_gan * g_adv + c.w_fm * fm
        loop.update(loss, opt, gd)
        if adversarial:
            # discriminator: hinge, plus a lazy R1 penalty on real crops every r1_every steps
            r1_on = c.r1_gamma > 0 and i % c.r1_every == 0
            xr = x.detach().requires_grad_(r1_on)
            real_out = disc(xr, mask)
            d_loss = sum(F.relu(1 - lg).mean() for lg, _ in real_out) / len(real_out)
            d_loss = d_loss + sum(F.relu(1 + lg).mean() for lg, _ in disc(comp.detach(), mask)) / len(real_out)
            if r1_on:
                grad, = torch.autograd.grad(sum(lg.sum() for lg, _ in real_out), xr, create_graph=True)
                r1 = grad.pow(2).flatten(1).sum(1).mean()
                d_loss = d_loss + 0.5 * c.r1_gamma * c.r1_every * r1
            loop.update(d_loss, opt_d, disc)
        return c.batch, {"S": S, "G": G, "l1": l1, "l1_hole": l1_hole, "fft": lf, "g": g_adv, "fm": fm, "d": d_loss,
                         "r1": r1}

    loop.run(step, lambda: evaluate(gd, val),
             lambda: {"guided_fp16.pt": {"cfg": asdict(c), "vq_cfg": asdict(gd.vc), "model": fp16_state(gd)}},
             val_at_start=True, val_at_end=True)
    return gd


def main(argv=None):
    train(parse_config(GuidedConfig, argv))


if __name__ == "__main__":
    main()

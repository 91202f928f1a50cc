"""Stage 1b: a sharper plain decoder, fine-tuned with the encoder and codebook frozen.

    nice -n 10 /usr/bin/python3 -m models.training.sharpen --steps 2400   # resumes runs/sharpen/ckpt.pt
    /usr/bin/python3 -m models.training.sharpen compare A.pt B.pt          # decoders side by side (JSON)

Why: the shipped decoder was trained with L1 and a late, light PatchGAN on 64 px crops of photos downscaled
1-4x. At the photo's own scale it keeps about a fifth of the Laplacian variance of the crop it decodes
(`fullres.recon_native`), and every fill, whichever prior made its codes, inherits that blur. The codes stay
exactly as they are (encoder and codebook frozen), so both priors stay valid and both methods keep sharing
one decoder; only the decoder learns.

Losses, per crop x [B, 3, S, S] and its reconstruction y = decoder(codebook[encoder(x)]):
  L1(y, x) + w_fft * L1(|FFT y|, |FFT x|) + adaptive(w_gan) * hinge_G(D(y)) + w_fm * L1(D-features of y, of x)
The FFT-magnitude term asks for the crop's texture energy at every frequency whatever its phase (L1 alone
averages grain away); the PatchGAN (hinge, lazy R1 on real crops) and feature matching on its layers ask for
texture that looks like the photo's; the GAN weight is taming's adaptive weight times `w_gan`, switched on
after `gan_after` steps during which only the discriminator trains (so the decoder never follows a
discriminator at chance). Crops come from photos at up to `max_side`, at scales 1 (the photo's own scale,
where the guided and detail stages decode) to 4 (the downscaled crops the coarse fill decodes).
Validation: PSNR and the median detail ratio (variance of the 3x3 Laplacian of the 8-bit grey reconstruction
over that of the crop) on fixed validation crops at the photo's own scale and at scale 3.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import data as D
from .common import RUNS, fp16_state, n_params, parse_config
from .encode import SHIPPED_VQ, load_vq
from .guided import fft_mag_l1
from .loop import TrainLoop
from .vqgan import PatchDisc, adaptive_weight, gan_optimizers


@dataclass
class SharpenConfig:
    vq: str = SHIPPED_VQ
    sizes: str = "64,96,128"          # training crop sides (px, divisible by 4)
    scales: str = "1,4"               # crop = S * s photo pixels resized to S, s log-uniform in this range
    max_side: int = 2400              # photos loaded at up to this long side (the test photos reach ~3000)
    batch: int = 8
    lr: float = 1e-4
    steps: int = 3000                 # length of the cosine schedule (all runs together)
    minutes: float = 85.0             # safety stop for one run (rerun to continue)
    w_fft: float = 1.0
    w_gan: float = 0.5                # times taming's adaptive weight
    w_fm: float = 1.0
    gan_after: int = 150              # the decoder's GAN and feature-matching terms start at this step
    r1_gamma: float = 0.0005           # on the summed patch logits (~900 per 128 px crop), hence small
    r1_every: int = 4
    disc_ch: int = 48
    val_crops: int = 32
    val_size: int = 128
    val_every: int = 200
    ckpt_every_s: float = 120.0
    threads: int = 2
    seed: int = 0
    # Prior-filled holes (`prior_codes.py`): every `prior_every`-th step is a batch from this pool, whose
    # hole codes come from the diffusion prior. There the decoder is asked for L1 on the known pixels, the
    # teacher decoder's mean colour per code cell inside the hole, and the adversarial term; the
    # discriminator sees those decodes as fakes, so texture that only prior codes provoke is penalised.
    prior_pool: str = ""
    prior_every: int = 2
    teacher: str = SHIPPED_VQ         # the decoder whose cell means the hole keeps (it paints no rings)
    w_teacher: float = 1.0
    out: str = os.path.join(RUNS, "sharpen")
    images: str = ""


def disc_features(disc: PatchDisc, x):
    """The PatchGAN's logits [B, 1, s, s] and the activations after each of its LeakyReLUs."""
    feats, h = [], x
    for layer in disc.net:
        h = layer(h)
        if isinstance(layer, nn.LeakyReLU):
            feats.append(h)
    return h, feats


def to_grey8(x):  # [B, 3, S, S] in [-1, 1] -> [B, 1, S, S] grey of the 8-bit image (0..255)
    u8 = ((x.clamp(-1, 1) + 1) * 127.5).round()
    return (u8[:, 0] * 0.299 + u8[:, 1] * 0.587 + u8[:, 2] * 0.114)[:, None]


LAPLACE = torch.tensor([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]).view(1, 1, 3, 3)


def detail_ratios(y, x):
    """Per crop: variance of the 3x3 Laplacian of y's grey over that of x's (as fullres.recon_native)."""
    lap = lambda g: F.conv2d(g, LAPLACE.to(g.device))[:, 0].flatten(1).var(1)  # valid part only
    return lap(to_grey8(y)) / lap(to_grey8(x)).clamp_min(1e-9)


@torch.no_grad()
def evaluate(vq, val: dict) -> dict:
    out = {}
    for name, x in val.items():
        y = torch.cat([vq.decode(vq.encode(x[i:i + 8])) for i in range(0, len(x), 8)]).clamp(-1, 1)
        mse = ((y - x) / 2).pow(2).flatten(1).mean(1)
        out[f"{name}_psnr"] = float((-10 * torch.log10(mse.clamp_min(1e-10))).mean())
        out[f"{name}_detail"] = float(detail_ratios(y, x).median())
    return out


def train(c: SharpenConfig, log_every: int = 25):
    loop = TrainLoop("sharpen", c, warmup=50, log_every=log_every)
    dev = loop.device
    vq = load_vq(c.vq).to(dev)
    for p in vq.parameters():
        p.requires_grad_(False)
    for p in vq.decoder.parameters():
        p.requires_grad_(True)
    vq.decoder.train()
    sizes = [int(s) for s in c.sizes.split(",")]
    lo, hi = (float(v) for v in c.scales.split(","))
    rows = D.load_rows(c.images or None)
    tr = D.PhotoSet(rows, "train", c.max_side)
    val = {}
    if loop.ddp.main:
        va = D.PhotoSet(rows, "val", c.max_side)
        val = {f"s{s:g}": va.fixed_crops(c.val_crops, c.val_size, seed=77, scales=(s, s), flip=False).to(dev)
               for s in (1.0, 3.0)}
    disc = PatchDisc(c.disc_ch).to(dev)
    opt, opt_d = gan_optimizers(vq.decoder.parameters(), disc, c.lr)
    loop.track(decoder=vq.decoder, disc=disc, opt=opt, opt_d=opt_d)
    loop.resume()
    loop.say(f"sharpen: decoder {n_params(vq.decoder) / 1e6:.2f}M params, disc {n_params(disc) / 1e6:.2f}M, "
             f"{len(tr)} train photos, device {dev}, {loop.ddp.world} process(es)")
    rng = np.random.default_rng(loop.data_seed)
    last_layer = vq.decoder.conv_out.weight
    adversarial = c.w_gan > 0 or c.w_fm > 0  # with both off the discriminator is not trained at all
    pool = torch.load(c.prior_pool) if c.prior_pool else None
    teacher = load_vq(c.teacher).decoder.to(dev).eval() if pool else None

    def pool_batch(S):  # x [B, 3, S, S], codes [B, S/4, S/4], hole [B, 1, S, S] (1 in unknown cells)
        p = pool[S]
        idx = torch.from_numpy(rng.integers(len(p["x"]), size=c.batch))
        x = p["x"][idx].float().div(127.5).sub(1.0).to(dev)
        hole = F.interpolate(p["unknown"][idx][:, None].float(), scale_factor=4).to(dev)
        return x, p["codes"][idx].long().to(dev), hole

    def step(i):
        on_pool = pool is not None and i % c.prior_every == 0
        pick = np.random.default_rng(c.seed * 7919 + i)  # the same on every rank
        S = int(pick.choice(sorted(pool) if on_pool else sizes))
        if on_pool:
            x, codes, hole = pool_batch(S)
        else:
            x = tr.batch(rng, c.batch, S, scales=(lo, hi)).to(dev)  # [B, 3, S, S]
        with torch.no_grad():
            z = vq.quant.lookup(codes if on_pool else vq.encode(x))  # [B, code_dim, S/4, S/4]
        y = vq.decoder(z)
        lf = fft_mag_l1(y, x)
        tl = torch.zeros(())
        if on_pool:
            rec = ((y - x).abs() * (1 - hole)).sum() / ((1 - hole).sum() * 3).clamp_min(1)
            with torch.no_grad():
                cells_t = F.avg_pool2d(teacher(z), 4)  # [B, 3, S/4, S/4]
            cell_hole = F.avg_pool2d(hole, 4)
            tl = ((F.avg_pool2d(y, 4) - cells_t).abs() * cell_hole).sum() / (cell_hole.sum() * 3).clamp_min(1)
        else:
            rec = (y - x).abs().mean()
        loss = rec + c.w_fft * lf + c.w_teacher * tl
        g_adv = fm = w = d_loss = r1 = torch.zeros(())
        if adversarial and i >= c.gan_after:
            logits, fake_feats = disc_features(disc, y)
            g_adv = -logits.mean()
            w = adaptive_weight(loss, g_adv, last_layer, c.w_gan)
            loss = loss + w * g_adv
            if not on_pool:  # a prior's hole has no true features to match
                with torch.no_grad():
                    _, real_feats = disc_features(disc, x)
                fm = sum((a - b).abs().mean() for a, b in zip(fake_feats, real_feats)) / len(real_feats)
                loss = loss + c.w_fm * fm
        loop.update(loss, opt, vq.decoder)
        if not adversarial:
            return c.batch, {"S": S, "pool": int(on_pool), "l1": rec, "fft": lf, "teacher": tl}
        # discriminator: hinge, plus a lazy R1 penalty on real crops every r1_every steps
        r1_on = c.r1_gamma > 0 and i % c.r1_every == 0
        xr = x.detach().requires_grad_(r1_on)
        real_logits = disc(xr)
        d_loss = F.relu(1 - real_logits).mean() + F.relu(1 + disc(y.detach())).mean()
        if r1_on:
            grad, = torch.autograd.grad(real_logits.sum(), xr, create_graph=True)
            r1 = grad.pow(2).flatten(1).sum(1).mean()
            d_loss = d_loss + 0.5 * c.r1_gamma * c.r1_every * r1
        loop.update(d_loss, opt_d, disc)
        return c.batch, {"S": S, "pool": int(on_pool), "l1": rec, "fft": lf, "teacher": tl, "g": g_adv, "w": w,
                         "fm": fm, "d": d_loss, "r1": r1}

    def validate():
        vq.decoder.eval()
        try:
            return evaluate(vq, val)
        finally:
            vq.decoder.train()

    # The export is a whole VQ-GAN file (same format as checkpoints/vqgan_refit_fp16.pt) with the new decoder.
    loop.run(step, validate, lambda: {"vqgan_sharp_fp16.pt": {"cfg": asdict(vq.cfg), "model": fp16_state(vq)}},
             val_at_start=True, val_at_end=True)
    return vq


@torch.no_grad()
def compare(paths: list[str]) -> dict:
    """Each VQ-GAN file's decoder on the same crops: validation crops of 128 px at the photo's own scale and
    at scale 3 (PSNR, median detail ratio), the 64 px validation crops of the VQ-GAN stage (PSNR), and
    `fullres.recon_native` (256 px test crops at the photo's scale)."""
    from .fullres import recon_native
    from .vqgan import evaluate as vq_evaluate
    rows = D.read_list()
    va = D.PhotoSet(rows, "val", SharpenConfig.max_side)
    val = {f"s{s:g}": va.fixed_crops(32, 128, seed=77, scales=(s, s), flip=False) for s in (1.0, 3.0)}
    val64 = D.PhotoSet(rows, "val").fixed_crops(192, 64)  # as models/training/vqgan.py validates
    out = {}
    for p in paths:
        vq = load_vq(p)
        out[p] = {**evaluate(vq, val), "val64_psnr": vq_evaluate(vq, val64)[0],
                  "recon_native": recon_native(p)}
    return out


def main(argv=None):
    import json
    import sys
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["compare"]:
        print(json.dumps(compare(argv[1:]), indent=1))
        return
    train(parse_config(SharpenConfig, argv))


if __name__ == "__main__":
    main()

"""Stage 1: VQ-GAN (conv encoder/decoder, normalised low-dimensional code lookup, hinge PatchGAN).

    nice -n 10 /usr/bin/python3 -m models.training.vqgan --steps 1400      # resumes from runs/vqgan/ckpt.pt

Quantiser: the encoder's output is projected to `code_dim` (32) channels and l2-normalised; the codebook
entries are l2-normalised too, and the nearest entry is the one with the largest cosine similarity (for unit
vectors this is exactly eq. 12's argmin of the Euclidean distance). Measured on this machine, this trains
far better in minutes than a plain 256-d lookup (Yu et al., "Vector-quantized image modeling with improved
VQGAN", 2021 use the same factorised + normalised lookup). Straight-through gradient.
Loss (eq. 14): L1 reconstruction + ||sg[h] - z||^2 + beta ||h - sg[z]||^2 (beta 0.25), plus a hinge PatchGAN
term after warm-up with taming's adaptive weight. No LPIPS (no pretrained network offline).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, asdict, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import data as D
from .common import RUNS, fp16_state, n_params, parse_config
from .loop import TrainLoop


@dataclass
class VQConfig:
    ch: int = 32                      # base width (32 x (1,2,4): 2.8M params, ~22 crops/s on 2 cores)
    ch_mult: tuple = (1, 2, 4)        # one level per entry; len-1 downsamples -> downsample 4
    num_res: int = 1                  # ResBlocks per level
    attn_mid: bool = True             # self-attention in the middle block (16x16 for 64px crops)
    code_dim: int = 32                # low-dimensional lookup space
    K: int = 512                      # codebook size
    beta: float = 0.25
    # training
    size: int = 64
    batch: int = 16
    lr: float = 4e-4
    steps: int = 1400                 # length of the learning-rate schedule (~50 min on 2 CPU cores: ~27 steps/min)
    minutes: float = 100.0            # safety stop for one run (rerun to continue)
    gan_start_frac: float = 0.55      # switch the PatchGAN on after this fraction of `steps`
    disc_weight: float = 0.8
    disc_ch: int = 32
    max_steps: int = 10**9            # stop this run at this step (the schedule still follows `steps`)
    val_every: int = 300
    ckpt_every_s: float = 120.0
    threads: int = 2
    seed: int = 0
    out: str = os.path.join(RUNS, "vqgan")
    images: str = ""                  # folder of photos; empty -> photos.tsv (the shipped pack's set)

    @property
    def downsample(self) -> int:
        return 2 ** (len(self.ch_mult) - 1)


def Norm(c):
    return nn.GroupNorm(min(32, c // 4) if c >= 8 else 1, c, eps=1e-6)


class ResBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.n1, self.c1 = Norm(cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.n2, self.c2 = Norm(cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x):  # [B, cin, H, W] -> [B, cout, H, W]
        h = self.c1(F.silu(self.n1(x)))
        h = self.c2(F.silu(self.n2(h)))
        return self.skip(x) + h


class Attn(nn.Module):
    """Single-head spatial self-attention."""

    def __init__(self, c):
        super().__init__()
        self.n, self.qkv, self.o = Norm(c), nn.Conv2d(c, 3 * c, 1), nn.Conv2d(c, c, 1)

    def forward(self, x):  # [B, C, H, W]
        B, C, H, W = x.shape
        q, k, v = self.qkv(self.n(x)).reshape(B, 3, C, H * W).unbind(1)  # each [B, C, HW]
        a = torch.softmax(torch.einsum("bci,bcj->bij", q, k) / math.sqrt(C), dim=-1)  # [B, HW, HW]
        h = torch.einsum("bij,bcj->bci", a, v).reshape(B, C, H, W)
        return x + self.o(h)


class Encoder(nn.Module):
    def __init__(self, c: VQConfig):
        super().__init__()
        chs = [c.ch * m for m in c.ch_mult]
        self.conv_in = nn.Conv2d(3, chs[0], 3, padding=1)
        layers, cin = [], chs[0]
        for i, co in enumerate(chs):
            for _ in range(c.num_res):
                layers.append(ResBlock(cin, co))
                cin = co
            if i < len(chs) - 1:
                layers.append(nn.Conv2d(cin, cin, 3, stride=2, padding=1))  # downsample
        self.down = nn.Sequential(*layers)
        self.mid = nn.Sequential(ResBlock(cin, cin), Attn(cin) if c.attn_mid else nn.Identity(), ResBlock(cin, cin))
        self.out = nn.Sequential(Norm(cin), nn.SiLU(), nn.Conv2d(cin, c.code_dim, 3, padding=1))

    def forward(self, x):  # [B, 3, 4H, 4W] -> [B, code_dim, H, W]
        return self.out(self.mid(self.down(self.conv_in(x))))


class Decoder(nn.Module):
    def __init__(self, c: VQConfig):
        super().__init__()
        chs = [c.ch * m for m in c.ch_mult][::-1]
        cin = chs[0]
        self.conv_in = nn.Conv2d(c.code_dim, cin, 3, padding=1)
        self.mid = nn.Sequential(ResBlock(cin, cin), Attn(cin) if c.attn_mid else nn.Identity(), ResBlock(cin, cin))
        layers = []
        for i, co in enumerate(chs):
            for _ in range(c.num_res + 1):
                layers.append(ResBlock(cin, co))
                cin = co
            if i < len(chs) - 1:
                layers += [nn.Upsample(scale_factor=2.0, mode="nearest"), nn.Conv2d(cin, cin, 3, padding=1)]
        self.up = nn.Sequential(*layers)
        self.norm_out = Norm(cin)
        self.conv_out = nn.Conv2d(cin, 3, 3, padding=1)

    def forward(self, z):  # [B, code_dim, H, W] -> [B, 3, 4H, 4W]
        return self.conv_out(F.silu(self.norm_out(self.up(self.mid(self.conv_in(z))))))


class Quantizer(nn.Module):
    def __init__(self, K: int, dim: int, beta: float):
        super().__init__()
        self.K, self.beta = K, beta
        self.codebook = nn.Parameter(torch.randn(K, dim))

    def codes_normed(self):  # [K, dim]
        return F.normalize(self.codebook, dim=1)

    def indices(self, h):  # h [B, dim, H, W] (unit vectors) -> [B, H, W] int64
        return torch.einsum("bdhw,kd->bkhw", h, self.codes_normed()).argmax(1)

    def lookup(self, idx):  # [B, H, W] -> [B, dim, H, W]
        return F.embedding(idx, self.codes_normed()).permute(0, 3, 1, 2)

    def forward(self, h):
        h = F.normalize(h, dim=1)
        idx = self.indices(h)
        z = self.lookup(idx)
        loss = F.mse_loss(z, h.detach()) + self.beta * F.mse_loss(h, z.detach())
        zq = h + (z - h).detach()  # straight-through
        return zq, idx, loss


class VQGAN(nn.Module):
    def __init__(self, c: VQConfig):
        super().__init__()
        self.cfg = c
        self.encoder, self.decoder = Encoder(c), Decoder(c)
        self.quant = Quantizer(c.K, c.code_dim, c.beta)

    def encode_h(self, x):  # [B, 3, 4H, 4W] -> unit vectors [B, code_dim, H, W]
        return F.normalize(self.encoder(x), dim=1)

    def encode(self, x):  # -> codes int64 [B, H, W]
        return self.quant.indices(self.encode_h(x))

    def decode(self, idx):  # codes [B, H, W] -> image [B, 3, 4H, 4W]
        return self.decoder(self.quant.lookup(idx))

    def forward(self, x):
        zq, idx, qloss = self.quant(self.encoder(x))
        return self.decoder(zq), idx, qloss


class PatchDisc(nn.Module):
    """Small PatchGAN (pix2pix NLayerDiscriminator, 3 layers)."""

    def __init__(self, ch=32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, ch, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(ch, ch * 2, 4, 2, 1), nn.GroupNorm(8, ch * 2), nn.LeakyReLU(0.2),
            nn.Conv2d(ch * 2, ch * 4, 4, 1, 1), nn.GroupNorm(8, ch * 4), nn.LeakyReLU(0.2),
            nn.Conv2d(ch * 4, 1, 4, 1, 1))

    def forward(self, x):  # [B, 3, S, S] -> patch logits [B, 1, s, s]
        return self.net(x)


def gan_optimizers(params, disc: nn.Module, lr: float):
    """Adam with betas (0.5, 0.9) for the generator's `params` and for the discriminator (taming's settings)."""
    return torch.optim.Adam(params, lr=lr, betas=(0.5, 0.9)), torch.optim.Adam(disc.parameters(), lr=lr, betas=(0.5, 0.9))


def adaptive_weight(rec, g_loss, last_layer, scale: float):
    """taming's adaptive weight of the GAN term: its gradient at the decoder's last layer balanced against
    the reconstruction's, times `scale`."""
    gr = torch.autograd.grad(rec, last_layer, retain_graph=True)[0]
    gg = torch.autograd.grad(g_loss, last_layer, retain_graph=True)[0]
    return (gr.norm() / (gg.norm() + 1e-4)).clamp(0, 1e4).detach() * scale


def hinge_d_loss(disc: nn.Module, real, fake):
    return F.relu(1 - disc(real)).mean() + F.relu(1 + disc(fake.detach())).mean()


def psnr(a, b):  # images in [-1, 1], per-image mean -> float
    mse = ((a.clamp(-1, 1) - b) ** 2).flatten(1).mean(1) / 4.0
    return float((10 * torch.log10(1.0 / mse.clamp_min(1e-10))).mean())


@torch.no_grad()
def evaluate(model: VQGAN, val: torch.Tensor, bs: int = 32):
    """Validation reconstruction PSNR (dB) and codebook usage (fraction of K used on these crops)."""
    model.eval()
    ps, used = [], torch.zeros(model.cfg.K, dtype=torch.bool)
    for i in range(0, len(val), bs):
        x = val[i:i + bs]
        idx = model.encode(x)
        ps.append(psnr(model.decode(idx), x) * len(x))
        used[idx.flatten().cpu()] = True
    model.train()
    return sum(ps) / len(val), float(used.float().mean())


def build(c: VQConfig) -> VQGAN:
    return VQGAN(c)


def train(c: VQConfig, log_every: int = 25):
    loop = TrainLoop("vqgan", c, log_every=log_every)
    dev = loop.device
    rows = D.load_rows(c.images or None)
    tr, va = D.PhotoSet(rows, "train"), D.PhotoSet(rows, "val")
    val = va.fixed_crops(192, c.size).to(dev)
    model, disc = build(c).to(dev), PatchDisc(c.disc_ch).to(dev)
    opt, opt_d = gan_optimizers(model.parameters(), disc, c.lr)
    loop.track(model=model, disc=disc, opt=opt, opt_d=opt_d)
    loop.resume()
    loop.say(f"VQGAN {n_params(model) / 1e6:.2f}M params, disc {n_params(disc) / 1e6:.2f}M, device {dev}, "
             f"{len(tr)} train / {len(va)} val photos")
    rng = np.random.default_rng(loop.data_seed)
    last_layer = model.decoder.conv_out.weight

    def step(i):
        x = D.PhotoSet.batch(tr, rng, c.batch, c.size).to(dev)  # [B, 3, 64, 64]
        xr, idx, qloss = model(x)
        rec = (x - xr).abs().mean()
        loss = rec + qloss
        gan_on = i >= c.gan_start_frac * c.steps
        g_loss = torch.zeros(())
        if gan_on:
            g_loss = -disc(xr).mean()
            loss = loss + adaptive_weight(rec, g_loss, last_layer, c.disc_weight) * g_loss
        loop.update(loss, opt, model)
        if gan_on:
            loop.update(hinge_d_loss(disc, x, xr), opt_d, disc)
        return c.batch, {"l1": float(rec), "q": float(qloss), "g": float(g_loss)}

    def validate():
        p, u = evaluate(model, val)
        return {"val_psnr": p, "usage": u}

    loop.run(step, validate, lambda: {"vqgan_fp16.pt": {"cfg": asdict(c), "model": fp16_state(model)}}, val_at_end=True)
    return model


def main(argv=None):
    train(parse_config(VQConfig, argv))


if __name__ == "__main__":
    main()

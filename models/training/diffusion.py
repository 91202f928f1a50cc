"""Stage 4: discrete (multinomial) diffusion prior over the code grid, docs/METHOD.md eq. 15-24.

    nice -n 10 /usr/bin/python3 -m models.training.diffusion --steps 2000   # resumes from runs/diffusion/ckpt.pt

All probabilities in log space. The network predicts log p(z_0 | z_t) (log-softmax over K); the loss is the
ELBO: KL(q(z_{t-1}|z_t,z_0) || p(z_{t-1}|z_t)) for t >= 2, the decoder NLL -log p(z_0|z_1) at t = 1, plus
KL(q(z_T|z_0) || uniform); t is importance-sampled (p_t ~ sqrt(E[L_t^2])) once every t has been seen 10 times
(Hoogeboom et al.'s multinomial diffusion code does the same).
"""
from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import schedule as S
from .common import RUNS, fp16_state, load_onnx_weights, n_params, parse_config
from .loop import TrainLoop


@dataclass
class DiffConfig:
    K: int = 512
    T: int = 200
    sched_s: float = 0.008
    alpha_clip_min: float = 0.001
    sqrt_alpha: bool = True
    # Width at the grid resolution. Sampling speed decides the shape: one network evaluation must cost about
    # as much as a few transformer tokens. Measured in onnxruntime-node on this 2-core CPU (16x16 grid, B=1):
    # ch 64 (1,2) x2 res = 4.0M params, 29 ms; ch 32 (1,2,4) x1 = 2.6M, 13.5 ms; a 4-layer GPT token, ~5 ms.
    # So the weights sit at the coarse levels (4x4 has attention: global context) and the 16x16 level is thin.
    ch: int = 40
    ch_mult: tuple = (1, 2, 4)    # 16x16 -> 8x8 -> 4x4 (attention at 4x4 and in the middle)
    num_res: int = 1
    emb_dim: int = 64             # code embedding size
    # training
    batch: int = 32
    lr: float = 5e-4
    steps: int = 2000             # length of the learning-rate schedule (~35 min on 2 shared CPU cores, ~58 steps/min)
    minutes: float = 70.0         # safety stop for one run (rerun to continue)
    max_steps: int = 10**9        # stop this run at this step (the schedule still follows `steps`)
    big_every: int = 0            # every n-th batch is a 32x32-grid batch (0: never)
    huge_every: int = 0           # every n-th batch is a 64x64 grid of a crop at the photo's own scale (0: never)
    init_onnx: str = ""           # warm start from a pack's diffusion.onnx (when there is no checkpoint yet)
    val_every: int = 500
    ckpt_every_s: float = 120.0
    threads: int = 1
    seed: int = 0
    grids: str = os.path.join(RUNS, "grids.pt")
    out: str = os.path.join(RUNS, "diffusion")

    def sched(self) -> dict:
        return {"kind": "cosine", "s": self.sched_s, "alpha_clip_min": self.alpha_clip_min,
                "sqrt_alpha": self.sqrt_alpha}


def Norm(c):
    return nn.GroupNorm(math.gcd(32, c), c)


def timestep_embedding(t, dim):  # t [B] int64 -> [B, dim]
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    a = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(a), torch.sin(a)], dim=1)


class TResBlock(nn.Module):
    def __init__(self, cin, cout, tdim):
        super().__init__()
        self.n1, self.c1 = Norm(cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.t = nn.Linear(tdim, cout)
        self.n2, self.c2 = Norm(cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, te):  # x [B, cin, H, W], te [B, tdim] -> [B, cout, H, W]
        h = self.c1(F.silu(self.n1(x))) + self.t(te)[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return self.skip(x) + h


class MHAttn(nn.Module):
    def __init__(self, c, heads=4):
        super().__init__()
        self.h = heads
        self.n, self.qkv, self.o = Norm(c), nn.Conv2d(c, 3 * c, 1), nn.Conv2d(c, c, 1)

    def forward(self, x):  # [B, C, H, W]
        B, C, H, W = x.shape
        q, k, v = self.qkv(self.n(x)).reshape(B, 3, self.h, C // self.h, H * W).unbind(1)  # [B, h, d, HW]
        a = torch.softmax(torch.einsum("bhdi,bhdj->bhij", q, k) / math.sqrt(C // self.h), dim=-1)
        o = torch.einsum("bhij,bhdj->bhdi", a, v).reshape(B, C, H, W)
        return x + self.o(o)


class UNet(nn.Module):
    """Code grid z_t [B, H, W] and t [B] -> log p(z_0 | z_t) [B, K, H, W]. H, W divisible by 2^(levels-1)."""

    def __init__(self, c: DiffConfig):
        super().__init__()
        self.cfg = c
        tdim = c.ch * 4
        self.emb = nn.Embedding(c.K, c.emb_dim)
        self.temb = nn.Sequential(nn.Linear(c.ch, tdim), nn.SiLU(), nn.Linear(tdim, tdim))
        self.conv_in = nn.Conv2d(c.emb_dim, c.ch, 3, padding=1)
        chs = [c.ch * m for m in c.ch_mult]
        self.down, self.up, skips = nn.ModuleList(), nn.ModuleList(), [c.ch]
        cin = c.ch
        for i, co in enumerate(chs):
            for _ in range(c.num_res):
                self.down.append(TResBlock(cin, co, tdim)); cin = co; skips.append(cin)
                if i == len(chs) - 1:
                    self.down.append(MHAttn(cin))
            if i < len(chs) - 1:
                self.down.append(nn.Conv2d(cin, cin, 3, stride=2, padding=1)); skips.append(cin)
        self.mid1, self.mida, self.mid2 = TResBlock(cin, cin, tdim), MHAttn(cin), TResBlock(cin, cin, tdim)
        for i, co in reversed(list(enumerate(chs))):
            for _ in range(c.num_res + 1):
                self.up.append(TResBlock(cin + skips.pop(), co, tdim)); cin = co
                if i == len(chs) - 1:
                    self.up.append(MHAttn(cin))
            if i > 0:
                self.up.append(nn.Upsample(scale_factor=2.0, mode="nearest"))
        self.out = nn.Sequential(Norm(cin), nn.SiLU(), nn.Conv2d(cin, c.K, 1))

    def forward(self, z_t, t):  # [B, H, W] int64, [B] int64 -> log-probs [B, K, H, W]
        return F.log_softmax(self.logits(z_t, t), dim=1)

    def logits(self, z_t, t):  # [B, H, W] int64, [B] int64 -> unnormalised [B, K, H, W]
        te = self.temb(timestep_embedding(t, self.cfg.ch))
        h = self.conv_in(self.emb(z_t).permute(0, 3, 1, 2))  # [B, ch, H, W]
        hs = [h]
        for m in self.down:
            h = m(h, te) if isinstance(m, TResBlock) else m(h)
            if not isinstance(m, MHAttn):
                hs.append(h)
        h = self.mid2(self.mida(self.mid1(h, te)), te)
        for m in self.up:
            if isinstance(m, TResBlock):
                h = m(torch.cat([h, hs.pop()], 1), te)
            else:
                h = m(h)
        return self.out(h)


# ---- multinomial diffusion maths (log space) -------------------------------------------------------------

class Multinomial:
    """dtype: float32 for training; float64 reproduces the engine's arithmetic
    (tests/fixtures/diffusion-parity.json)."""

    def __init__(self, K: int, T: int, sched: dict, device="cpu", dtype=torch.float32):
        self.K, self.T, self.dtype = K, T, dtype
        a = S.alphas(T, sched); a[0] = 1.0
        ab = S.alpha_bars(T, sched)
        f = lambda v: torch.tensor(v, dtype=torch.float64).to(dtype).to(device)
        self.log_a, self.log_1ma = f(np.log(a)), f(np.log(np.maximum(1 - a, 1e-30)))
        self.log_ab, self.log_1mab = f(np.log(ab)), f(np.log(np.maximum(1 - ab, 1e-30)))

    @staticmethod
    def _g(v, t, x):  # gather schedule values at t [B] and broadcast to x [B, K, H, W]
        return v[t].view(-1, *([1] * (x.dim() - 1)))

    def log_q_t_given_0(self, log_x0, t):  # log(abar_t x0 + (1 - abar_t)/K)
        return torch.logaddexp(log_x0 + self._g(self.log_ab, t, log_x0),
                               self._g(self.log_1mab, t, log_x0) - math.log(self.K))

    def log_q_t_given_tm1(self, log_xt, t):  # log(alpha_t x_t + (1 - alpha_t)/K) (symmetric in x_t, x_{t-1})
        return torch.logaddexp(log_xt + self._g(self.log_a, t, log_xt),
                               self._g(self.log_1ma, t, log_xt) - math.log(self.K))

    def log_posterior(self, log_x0, log_xt, t):
        """log q(z_{t-1} | z_t, z_0) [B, K, H, W]; log_x0 may be soft (the model's p_hat_0). At t = 1 the
        second factor is z_0 itself (abar_0 = 1)."""
        tm1 = (t - 1).clamp_min(0)
        fac = self.log_q_t_given_0(log_x0, tm1)
        fac = torch.where((t == 1).view(-1, 1, 1, 1), log_x0, fac)
        un = fac + self.log_q_t_given_tm1(log_xt, t)
        return un - torch.logsumexp(un, dim=1, keepdim=True)

    def sample_t(self, log_x0, t, gen=None):  # z_t ~ q(z_t | z_0) -> [B, H, W]
        logp = self.log_q_t_given_0(log_x0, t)
        u = torch.rand(logp.shape, generator=gen, device=logp.device).clamp(1e-30, 1.0)
        return (logp - torch.log(-torch.log(u))).argmax(1)  # Gumbel-max

    def onehot_log(self, z):  # [B, H, W] -> log one-hot [B, K, H, W] (log 0 -> -70)
        return torch.log(F.one_hot(z, self.K).permute(0, 3, 1, 2).to(self.dtype).clamp_min(1e-30))

    def loss_terms(self, model, z0, t, gen=None):
        """Per-sample ELBO term L_t in nats summed over cells [B], and the prior KL [B]."""
        lx0 = self.onehot_log(z0)
        zt = self.sample_t(lx0, t, gen)
        lxt = self.onehot_log(zt)
        lp0 = model(zt, t)  # [B, K, H, W]
        lq = self.log_posterior(lx0, lxt, t)
        lp = self.log_posterior(lp0, lxt, t)
        kl = (lq.exp() * (lq - lp)).sum(1).flatten(1).sum(1)
        nll = -(lx0.exp() * lp).sum(1).flatten(1).sum(1)  # -log p(z_0 | z_1)
        Lt = torch.where(t == 1, nll, kl)
        lqT = self.log_q_t_given_0(lx0, torch.full_like(t, self.T))
        prior = (lqT.exp() * (lqT + math.log(self.K))).sum(1).flatten(1).sum(1)
        return Lt, prior


class TSampler:
    """Importance sampling of t (1..T), p_t ~ sqrt(EMA of L_t^2), uniform until each t seen 10 times."""

    def __init__(self, T):
        self.T = T
        self.hist = torch.zeros(T + 1, dtype=torch.float64)
        self.count = torch.zeros(T + 1, dtype=torch.long)

    def sample(self, B, rng: torch.Generator):
        if (self.count[1:] < 10).any():
            t = torch.randint(1, self.T + 1, (B,), generator=rng)
            return t, torch.full((B,), 1.0 / self.T, dtype=torch.float64)
        p = torch.sqrt(self.hist[1:] + 1e-10)
        p = p / p.sum()
        t = torch.multinomial(p, B, replacement=True, generator=rng) + 1
        return t, p[t - 1]

    def update(self, t, Lt):
        for ti, li in zip(t.tolist(), Lt.detach().double().cpu().tolist()):
            self.hist[ti] = li * li if self.count[ti] == 0 else 0.9 * self.hist[ti] + 0.1 * li * li
            self.count[ti] += 1

    def state_dict(self):
        return {"hist": self.hist, "count": self.count}

    def load_state_dict(self, d):  # kept on the CPU, where the batches' generator draws t
        self.hist, self.count = d["hist"].cpu(), d["count"].cpu()


@torch.no_grad()
def elbo_bits(model, mn: Multinomial, grids: torch.Tensor, bs: int = 64, seed: int = 0) -> float:
    """Full ELBO (sum of all T terms + prior) in bits per code on the given grids [N, H, W]."""
    model.eval()
    gen = torch.Generator(device=grids.device).manual_seed(seed)
    total = 0.0
    for i in range(0, len(grids), bs):
        z0 = grids[i:i + bs]
        for t in range(1, mn.T + 1):
            Lt, prior = mn.loss_terms(model, z0, torch.full((len(z0),), t, device=z0.device), gen)
            total += float(Lt.sum())
        total += float(prior.sum())
    model.train()
    return total / (grids.numel() * math.log(2))


def train(c: DiffConfig, log_every: int = 50):
    loop = TrainLoop("diffusion", c, warmup=200, clip=1.0, log_every=log_every)
    dev = loop.device
    G = torch.load(c.grids)
    tr16, va16 = G["train16"].long(), G["val16"].long()
    tr32, tr64 = G.get("train32"), G.get("train64")
    model = UNet(c)
    if c.init_onnx and not loop.has_checkpoint():
        from .export import export_diffusion
        load_onnx_weights(model, c.init_onnx, export_diffusion)
        loop.say(f"warm start from {c.init_onnx}")
    model = model.to(dev)
    mn = Multinomial(c.K, c.T, c.sched(), dev)
    ts = TSampler(c.T)
    opt = torch.optim.AdamW(model.parameters(), lr=c.lr, weight_decay=0.0)
    loop.track(model=model, opt=opt, ts=ts)
    loop.resume()
    loop.say(f"diffusion UNet {n_params(model) / 1e6:.2f}M params, T={c.T}, {len(tr16)} grids, device {dev}")
    rng = torch.Generator().manual_seed(loop.data_seed)
    vsub = va16[:64].to(dev)

    def step(i):
        # one batch = the same number of cells at every grid size: 16x16 x B, 32x32 x B/4, 64x64 x B/16
        huge = tr64 is not None and c.huge_every > 0 and i % c.huge_every == c.huge_every - 1
        big = not huge and tr32 is not None and c.big_every > 0 and i % c.big_every == c.big_every - 1
        src, B = (tr64, max(1, c.batch // 16)) if huge else (tr32, max(1, c.batch // 4)) if big else (tr16, c.batch)
        z0 = src[torch.randint(len(src), (B,), generator=rng)].long().to(dev)
        t, pt = ts.sample(B, rng)
        Lt, prior = mn.loss_terms(model, z0, t.to(dev))
        ncell = z0[0].numel()
        # unbiased ELBO estimate per cell: L_t / (T p_t) * ... ; dividing by ncell keeps the scale fixed
        loss = ((Lt / (pt.to(dev).float() * c.T)).mean() * c.T + prior.mean()) / ncell
        loop.update(loss, opt, model)
        ts.update(t, Lt / ncell)
        return B, {"bits_est": float(loss) / math.log(2)}

    @torch.no_grad()
    def validate():
        # cheap validation: 16 uniformly spaced t, scaled to the full sum (an unbiased-ish estimate)
        model.eval()
        tot = 0.0
        for tt in np.linspace(1, c.T, 16).round().astype(int):
            Lv, pv = mn.loss_terms(model, vsub, torch.full((len(vsub),), int(tt), device=dev))
            tot += float(Lv.sum())
        tot = tot * c.T / 16 + float(pv.sum())
        model.train()
        return {"val_bits_est": tot / (vsub.numel() * math.log(2))}

    loop.run(step, validate, lambda: {"diffusion_fp16.pt": {"cfg": asdict(c), "model": fp16_state(model)}})
    return model


def main(argv=None):
    train(parse_config(DiffConfig, argv))


if __name__ == "__main__":
    main()

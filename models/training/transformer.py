"""Stage 5: the transformer baseline (VQ-GAN + GPT, Esser et al.): next-code prediction in raster order.

    nice -n 10 /usr/bin/python3 -m models.training.transformer --steps 260

Position 0 is the start token (id K); position 1 + i*W + j is cell (i, j). `forward_step` is the KV-cache
forward that is exported: tokens [B, N] at positions P..P+N-1, P (past_length) and a cache [L, 2, B, heads,
C, head_dim] whose first P slots are filled -> logits [B, N, K] and the new positions' kv [L, 2, B, heads, N,
head_dim]. The caller keeps the cache (a fixed buffer it writes kv into), so no call copies it.
"""
from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .common import RUNS, fp16_state, load_onnx_weights, n_params, parse_config
from .loop import TrainLoop


@dataclass
class GPTConfig:
    K: int = 512
    grid: int = 16
    layers: int = 4
    heads: int = 4
    head_dim: int = 64
    # training
    batch: int = 32
    lr: float = 5e-4
    steps: int = 260              # length of the learning-rate schedule (~35 min on 2 shared CPU cores, ~7 steps/min)
    minutes: float = 70.0         # safety stop for one run (rerun to continue)
    max_steps: int = 10**9        # stop this run at this step (the schedule still follows `steps`)
    val_every: int = 500
    ckpt_every_s: float = 120.0
    threads: int = 1
    seed: int = 0
    window_every: int = 0         # every n-th batch: 16x16 windows of the 32x32 / 64x64 grids (0: never)
    init_onnx: str = ""           # warm start from a pack's transformer.onnx (when there is no checkpoint yet)
    grids: str = os.path.join(RUNS, "grids.pt")
    out: str = os.path.join(RUNS, "transformer")

    @property
    def d(self) -> int:
        return self.heads * self.head_dim

    @property
    def context(self) -> int:
        return self.grid * self.grid + 1


class Block(nn.Module):
    def __init__(self, c: GPTConfig):
        super().__init__()
        self.c = c
        self.ln1, self.ln2 = nn.LayerNorm(c.d), nn.LayerNorm(c.d)
        self.qkv, self.proj = nn.Linear(c.d, 3 * c.d), nn.Linear(c.d, c.d)
        self.mlp = nn.Sequential(nn.Linear(c.d, 4 * c.d), nn.GELU(), nn.Linear(4 * c.d, c.d))

    def forward(self, x, cache_kv, mask):
        """x [B, N, d]; cache_kv [2, B, h, C, hd]: this layer's keys and values of earlier positions (the first
        past_length of its C slots; `mask` hides the rest); mask [N, C+N] bool (True = may attend)
        -> x [B, N, d], kv [2, B, h, N, hd] of x's own positions.
        The cache is attended in place, never concatenated with the new keys: the scores against it and against
        the new positions are joined instead ([B, h, N, C+N], small), so a call copies nothing of size C."""
        B, N, _ = x.shape
        C = cache_kv.shape[3]
        q, k, v = self.qkv(self.ln1(x)).reshape(B, N, 3, self.c.heads, self.c.head_dim).permute(2, 0, 3, 1, 4)
        att = torch.cat([q @ cache_kv[0].transpose(-1, -2), q @ k.transpose(-1, -2)], -1) / math.sqrt(self.c.head_dim)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)  # [B, h, N, C+N]
        y = att[..., :C] @ cache_kv[1] + att[..., C:] @ v  # [B, h, N, hd]
        x = x + self.proj(y.transpose(1, 2).reshape(B, N, self.c.d))
        x = x + self.mlp(self.ln2(x))
        return x, torch.stack([k, v])


class GPT(nn.Module):
    def __init__(self, c: GPTConfig):
        super().__init__()
        self.cfg = c
        self.tok = nn.Embedding(c.K + 1, c.d)
        self.pos = nn.Embedding(c.context, c.d)
        self.blocks = nn.ModuleList([Block(c) for _ in range(c.layers)])
        self.ln = nn.LayerNorm(c.d)
        self.head = nn.Linear(c.d, c.K, bias=False)  # never predicts the start token
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward_step(self, tokens, past_length, cache):
        """tokens [B, N] int64 at positions past_length..past_length+N-1; past_length [] int64; cache
        [L, 2, B, h, C, hd], whose first past_length slots hold the keys and values of the earlier positions
        (slots beyond are ignored, whatever they hold) -> logits [B, N, K], kv [L, 2, B, h, N, hd] of the new
        positions, which the caller writes into its cache at past_length (the engine keeps the cache)."""
        N = tokens.shape[1]
        C = cache.shape[4]
        ar = torch.arange(N, device=tokens.device)
        x = self.tok(tokens) + self.pos(ar + past_length)[None]
        cached = (torch.arange(C, device=tokens.device) < past_length)[None, :].expand(N, C)
        mask = torch.cat([cached, ar[None, :] <= ar[:, None]], 1)  # [N, C+N]
        kvs = []
        for i, b in enumerate(self.blocks):
            x, kv = b(x, cache[i], mask)
            kvs.append(kv)
        return self.head(self.ln(x)), torch.stack(kvs)

    def empty_cache(self, B, device="cpu"):
        c = self.cfg
        return torch.zeros(c.layers, 2, B, c.heads, 0, c.head_dim, device=device)

    def forward(self, tokens):  # [B, N] -> logits [B, N, K]
        return self.forward_step(tokens, torch.tensor(0, device=tokens.device), self.empty_cache(tokens.shape[0], tokens.device))[0]

    def nll(self, grids):  # grids [B, H, W] -> mean NLL in nats per code
        B = grids.shape[0]
        seq = grids.reshape(B, -1)
        inp = torch.cat([torch.full((B, 1), self.cfg.K, dtype=torch.long, device=grids.device), seq[:, :-1]], 1)
        logits = self(inp)
        return F.cross_entropy(logits.reshape(-1, self.cfg.K), seq.reshape(-1))


@torch.no_grad()
def val_bits(model: GPT, grids, bs=64) -> float:
    model.eval()
    tot = sum(float(model.nll(grids[i:i + bs])) * len(grids[i:i + bs]) for i in range(0, len(grids), bs))
    model.train()
    return tot / len(grids) / math.log(2)


def windows(grids: torch.Tensor, n: int, size: int, rng: torch.Generator) -> torch.Tensor:
    """n random size x size windows of grids [N, H, W] (the transformer's context is one size x size grid)."""
    N, H, W = grids.shape
    i = torch.randint(N, (n,), generator=rng).tolist()
    y = torch.randint(H - size + 1, (n,), generator=rng).tolist()
    x = torch.randint(W - size + 1, (n,), generator=rng).tolist()
    return torch.stack([grids[a, b:b + size, d:d + size] for a, b, d in zip(i, y, x)]).long()


def train(c: GPTConfig, log_every: int = 50):
    loop = TrainLoop("transformer", c, warmup=200, clip=1.0, log_every=log_every)
    dev = loop.device
    G = torch.load(c.grids)
    tr, va = G["train16"].long(), G["val16"].long()
    larger = [G[k] for k in ("train32", "train64") if k in G]  # the same data the diffusion prior sees
    model = GPT(c)
    if c.init_onnx and not loop.has_checkpoint():
        from .export import export_transformer
        load_onnx_weights(model, c.init_onnx, export_transformer)
        loop.say(f"warm start from {c.init_onnx}")
    model = model.to(dev)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    other = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": other, "weight_decay": 0.0}],
                            lr=c.lr, betas=(0.9, 0.95))
    loop.track(model=model, opt=opt)
    loop.resume()
    loop.say(f"GPT {n_params(model) / 1e6:.2f}M params, {len(tr)} grids, device {dev}")
    rng = torch.Generator().manual_seed(loop.data_seed)
    vsub = va[:256].to(dev)

    def step(i):
        if larger and c.window_every > 0 and i % c.window_every == c.window_every - 1:
            z = windows(larger[i // c.window_every % len(larger)], c.batch, c.grid, rng).to(dev)
        else:
            z = tr[torch.randint(len(tr), (c.batch,), generator=rng)].to(dev)
        loss = model.nll(z)
        loop.update(loss, opt, model)
        return c.batch, {"bits": float(loss) / math.log(2)}

    loop.run(step, lambda: {"val_bits": val_bits(model, vsub)},
             lambda: {"transformer_fp16.pt": {"cfg": asdict(c), "model": fp16_state(model)}})
    return model


def main(argv=None):
    train(parse_config(GPTConfig, argv))


if __name__ == "__main__":
    main()

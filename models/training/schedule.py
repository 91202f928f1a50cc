"""The diffusion schedule, computed from the manifest's parameters exactly as the engine does (float64).

g(u) = cos(((u / T + s) / (1 + s)) * pi / 2)^2
alpha_t = clip(g(t) / g(t-1), alpha_clip_min, 1), then sqrt(alpha_t) when sqrt_alpha
abar_t = prod_{s<=t} alpha_s, abar_0 = 1
"""
from __future__ import annotations

import math

import numpy as np

DEFAULT = {"kind": "cosine", "s": 0.008, "alpha_clip_min": 0.001, "sqrt_alpha": True}


def alphas(T: int, sched: dict = DEFAULT) -> np.ndarray:
    """float64 [T + 1]; index 0 is unused (1.0), alpha[t] for t = 1..T."""
    assert sched.get("kind", "cosine") == "cosine"
    s = float(sched["s"])
    g = lambda u: math.cos(((u / T + s) / (1 + s)) * math.pi / 2) ** 2
    a = np.ones(T + 1, dtype=np.float64)
    for t in range(1, T + 1):
        a[t] = min(max(g(t) / g(t - 1), sched["alpha_clip_min"]), 1.0)
        if sched.get("sqrt_alpha", True):
            a[t] = math.sqrt(a[t])
    return a


def alpha_bars(T: int, sched: dict = DEFAULT) -> np.ndarray:
    """float64 [T + 1]; abar[0] = 1, abar[t] = prod_{s<=t} alpha_s."""
    a = alphas(T, sched)
    a[0] = 1.0
    return np.cumprod(a)

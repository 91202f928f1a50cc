import math

import numpy as np
import torch

from models.training import diffusion as D


def _mn(K=3, T=3):
    mn = D.Multinomial(K, T, {"kind": "cosine", "s": 0.008, "alpha_clip_min": 0.001, "sqrt_alpha": True})
    a = np.array([1.0, 0.9, 0.8, 0.5])  # hand schedule: alpha_t, abar_t
    ab = np.cumprod(a)
    f = lambda v: torch.tensor(v, dtype=torch.float32)
    mn.log_a, mn.log_1ma = f(np.log(a)), f(np.log(np.maximum(1 - a, 1e-30)))
    mn.log_ab, mn.log_1mab = f(np.log(ab)), f(np.log(np.maximum(1 - ab, 1e-30)))
    return mn, a, ab


def test_posterior_by_hand():
    mn, a, ab = _mn()
    K = 3
    x0, xt, t = np.array([1.0, 0, 0]), np.array([0, 1.0, 0]), 2
    theta = (a[t] * xt + (1 - a[t]) / K) * (ab[t - 1] * x0 + (1 - ab[t - 1]) / K)
    want = theta / theta.sum()  # [0.0667, 0.8667, 0.0667] * [0.9333, 0.0333, 0.0333], normalised
    lx0 = torch.log(torch.tensor(x0).float().clamp_min(1e-30)).view(1, K, 1, 1)
    lxt = torch.log(torch.tensor(xt).float().clamp_min(1e-30)).view(1, K, 1, 1)
    got = mn.log_posterior(lx0, lxt, torch.tensor([t])).exp().view(-1).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5)
    np.testing.assert_allclose(want, [0.6666667, 0.3095238, 0.0238095], rtol=1e-5)
    # at t = 1 the second factor is z_0 itself: the posterior is z_0
    got1 = mn.log_posterior(lx0, lxt, torch.tensor([1])).exp().view(-1).numpy()
    np.testing.assert_allclose(got1, x0, atol=1e-6)


class Fixed(torch.nn.Module):
    """A 'network' that always predicts p_hat_0 = p for every cell."""

    def __init__(self, p):
        super().__init__()
        self.lp = torch.log(torch.tensor(p, dtype=torch.float32))

    def forward(self, z_t, t):
        B, H, W = z_t.shape
        return self.lp.view(1, -1, 1, 1).expand(B, -1, H, W)


def test_loss_terms_by_hand(monkeypatch):
    mn, a, ab = _mn()
    K = 3
    p = np.array([0.5, 0.3, 0.2])
    z0 = torch.tensor([[[0]]])
    zt_fixed = torch.tensor([[[1]]])
    monkeypatch.setattr(mn, "sample_t", lambda lx0, t, gen=None: zt_fixed)
    x0, xt = np.eye(K)[0], np.eye(K)[1]
    # t = 2: KL(q(z1 | z2, z0) || p(z1 | z2)) with p using p_hat_0 = p
    t = 2
    q = (a[t] * xt + (1 - a[t]) / K) * (ab[t - 1] * x0 + (1 - ab[t - 1]) / K); q /= q.sum()
    pp = (a[t] * xt + (1 - a[t]) / K) * (ab[t - 1] * p + (1 - ab[t - 1]) / K); pp /= pp.sum()
    kl = float((q * np.log(q / pp)).sum())
    Lt, prior = mn.loss_terms(Fixed(p), z0, torch.tensor([t]))
    assert abs(float(Lt) - kl) < 1e-5
    # prior: KL(q(z_T | z_0) || uniform), T = 3
    qT = ab[3] * x0 + (1 - ab[3]) / K
    assert abs(float(prior) - float((qT * np.log(qT * K)).sum())) < 1e-5
    # t = 1: decoder NLL -log p(z_0 | z_1), p(z_0|z_1) = N[(a1 z1 + (1-a1)/K) * p_hat_0]
    p1 = (a[1] * xt + (1 - a[1]) / K) * p; p1 /= p1.sum()
    Lt1, _ = mn.loss_terms(Fixed(p), z0, torch.tensor([1]))
    assert abs(float(Lt1) + math.log(p1[0])) < 1e-5


def test_perfect_prediction_gives_zero_kl():
    mn, _, _ = _mn()
    z0 = torch.tensor([[[2, 0], [1, 1]]])

    class Oracle(torch.nn.Module):
        def forward(self, z_t, t):
            return mn.onehot_log(z0)

    for t in (2, 3):
        Lt, _ = mn.loss_terms(Oracle(), z0, torch.tensor([t]))
        assert float(Lt) < 1e-4


def test_importance_sampler_switches_after_ten_visits():
    ts = D.TSampler(4)
    g = torch.Generator().manual_seed(0)
    t, pt = ts.sample(8, g)
    assert torch.allclose(pt, torch.full((8,), 0.25, dtype=torch.float64))
    for tt in range(1, 5):
        ts.update(torch.full((10,), tt), torch.full((10,), float(tt)))
    t, pt = ts.sample(4000, g)
    freq = torch.bincount(t, minlength=5)[1:].double() / 4000
    np.testing.assert_allclose(freq.numpy(), np.arange(1, 5) / 10, atol=0.03)  # p_t ~ sqrt(L_t^2) = t

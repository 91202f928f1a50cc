import math

import numpy as np
import torch

from models.training import refit as R


def test_proposal_formula_and_normalisation():
    X = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    q = R.afkmc2_proposal(X, X[0])
    d2 = np.array([0.0, 1.0, 4.0, 25.0])
    np.testing.assert_allclose(q.numpy(), 0.5 * d2 / d2.sum() + 0.5 / 4)
    assert abs(float(q.sum()) - 1.0) < 1e-12


def test_acceptance_rule():
    # accept y when dy q(x) / (dx q(y)) > U
    assert R.afkmc2_accept(dx=1.0, qx=0.2, dy=4.0, qy=0.2, u=0.99)      # ratio 4
    assert not R.afkmc2_accept(dx=4.0, qx=0.2, dy=1.0, qy=0.2, u=0.5)   # ratio 0.25
    assert R.afkmc2_accept(dx=4.0, qx=0.2, dy=1.0, qy=0.2, u=0.2)       # ratio 0.25 > 0.2
    assert R.afkmc2_accept(dx=0.0, qx=0.2, dy=0.0, qy=0.2, u=0.9)       # dx q(y) = 0: always
    assert not R.afkmc2_accept(dx=1.0, qx=0.1, dy=2.0, qy=0.4, u=0.6)   # ratio 0.5


def test_seeding_covers_separated_clusters_and_kmeans_converges():
    g = torch.Generator().manual_seed(0)
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0], [5.0, 20.0]], dtype=torch.float64)
    X = torch.cat([c + 0.1 * torch.randn(200, 2, generator=g, dtype=torch.float64) for c in centres])
    C0 = R.afkmc2(X, 5, m=50, gen=torch.Generator().manual_seed(1))
    assigned = R.sqdist(C0, centres).argmin(1)
    assert len(set(assigned.tolist())) == 5  # one seed in every cluster
    C, a, inertia = R.kmeans(X, C0)
    err = R.sqdist(C, centres).min(1).values.max()
    assert float(err) < 0.01
    assert torch.bincount(a).tolist() == [200] * 5


def test_kmeans_reseeds_empty_clusters():
    X = torch.randn(100, 3, generator=torch.Generator().manual_seed(0))
    C0 = torch.cat([X[:3], torch.full((2, 3), 100.0)])  # two centres far away -> empty at first
    C, a, _ = R.kmeans(X, C0)
    assert torch.bincount(a, minlength=5).gt(0).all()

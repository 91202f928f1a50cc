import math

import numpy as np

from models.training import schedule as S


def test_hand_values_T2_sqrt():
    s = 0.008
    g = lambda u: math.cos(((u / 2 + s) / (1 + s)) * math.pi / 2) ** 2
    a1 = math.sqrt(g(1) / g(0))
    a2 = math.sqrt(max(g(2) / g(1), 0.001))  # g(2) ~ 0 -> clipped at 0.001
    np.testing.assert_allclose(S.alphas(2)[1:], [a1, a2], rtol=1e-12)
    np.testing.assert_allclose(S.alpha_bars(2), [1.0, a1, a1 * a2], rtol=1e-12)
    assert abs(a2 - math.sqrt(0.001)) < 1e-12


def test_reference_values_shared_with_engine():
    # the engine computes the same schedule: test_diffusion_parity.py writes tests/fixtures/diffusion-parity.json,
    # which tests/unit/diffusion-parity.test.ts compares with electron/engine/math/schedule.ts
    ab = S.alpha_bars(200)
    np.testing.assert_allclose(ab[[0, 1, 100, 200]], [1.0, 0.9998725055543971, 0.702740058941169,
                                                       0.00024641021303001124], rtol=1e-10)
    ab20 = S.alpha_bars(20)
    np.testing.assert_allclose(ab20[[1, 10, 20]], [0.99599562, 0.70274006, 0.00246163], rtol=1e-5)


def test_no_sqrt_variant_is_harsher():
    p = dict(S.DEFAULT, sqrt_alpha=False)
    assert S.alpha_bars(50, p)[25] < S.alpha_bars(50)[25]
    assert np.all(np.diff(S.alpha_bars(50, p)) <= 0)

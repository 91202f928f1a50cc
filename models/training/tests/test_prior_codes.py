"""The training pool's hole codes are sampled as the engine samples them (prior_codes.py)."""
import torch

from models.training import prior_codes as PC


def test_skip_posterior_is_the_sum_over_z0_of_the_exact_posterior():
    K, abar_t, abar_s = 5, 0.3, 0.7
    g = torch.Generator().manual_seed(0)
    log_p0 = torch.log_softmax(torch.randn(1, K, 1, 1, generator=g), 1)
    for zt in range(K):
        w = PC.skip_posterior_weights(log_p0, torch.tensor([[[zt]]]), abar_t, abar_s)[0, :, 0, 0]
        a = abar_t / abar_s
        brute = torch.zeros(K, dtype=torch.float64)
        for z0 in range(K):
            q_s_0 = torch.full((K,), (1 - abar_s) / K, dtype=torch.float64); q_s_0[z0] += abar_s
            q_t_s = torch.full((K,), (1 - a) / K, dtype=torch.float64); q_t_s[zt] += a  # q(z_t | z_s) over z_s
            post = q_t_s * q_s_0
            brute += log_p0[0, z0, 0, 0].double().exp() * post / post.sum()
        assert torch.allclose((w / w.sum()).double(), brute, atol=1e-6)


class Certain(torch.nn.Module):
    """A denoiser sure that every cell's z_0 is `code`."""

    def __init__(self, K, code):
        super().__init__()
        self.cfg = type("C", (), {"K": K})
        self.code = code

    def forward(self, z, t):
        lp = torch.full((z.shape[0], self.cfg.K, *z.shape[1:]), -60.0)
        lp[:, self.code] = 0.0
        return torch.log_softmax(lp, 1)


def test_inpaint_keeps_known_codes_and_fills_unknown_cells_from_the_model():
    K, G = 16, 6
    abar = torch.linspace(1.0, 0.0, 21).numpy()  # T = 20
    known = torch.randint(0, K, (2, G, G), generator=torch.Generator().manual_seed(1))
    unknown = torch.zeros(2, G, G, dtype=torch.bool)
    unknown[:, 2:4, 1:5] = True
    z = PC.inpaint_codes(Certain(K, 7), abar, known, unknown, steps=5, gen=torch.Generator().manual_seed(2))
    assert torch.equal(z[~unknown], known[~unknown])
    assert (z[unknown] == 7).all()


def test_inpaint_shows_the_model_the_known_codes_at_every_step_as_the_engine_does():
    K, G = 16, 6
    abar = torch.linspace(1.0, 0.0, 21).numpy()
    known = torch.randint(0, K, (2, G, G), generator=torch.Generator().manual_seed(1))
    unknown = torch.zeros(2, G, G, dtype=torch.bool)
    unknown[:, 2:4, 1:5] = True
    seen = []

    class Recording(Certain):
        def forward(self, z, t):
            seen.append(z.clone())
            return super().forward(z, t)

    PC.inpaint_codes(Recording(K, 7), abar, known, unknown, steps=5, gen=torch.Generator().manual_seed(2))
    assert len(seen) == 5
    for z in seen:
        assert torch.equal(z[~unknown], known[~unknown])


def test_truncation_keeps_the_most_likely_classes_up_to_the_mass_and_renormalises():
    p = torch.tensor([0.1, 0.5, 0.05, 0.3, 0.05])
    log_p0 = p.log().view(1, 5, 1, 1)
    kept = PC.truncate(log_p0, 0.7)[0, :, 0, 0].exp()  # 0.5, then 0.3 (0.5 < 0.7 before it), then stop at 0.8
    assert torch.allclose(kept, torch.tensor([0.0, 0.625, 0.0, 0.375, 0.0]))
    assert torch.allclose(PC.truncate(log_p0, 0.5)[0, :, 0, 0].exp(), torch.tensor([0.0, 1.0, 0.0, 0.0, 0.0]))
    assert torch.equal(PC.truncate(log_p0, 1.0), log_p0)

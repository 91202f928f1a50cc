"""Python and TypeScript compute the same diffusion maths: this file writes the vectors, a vitest reads them.

The training code (models/training/schedule.py, diffusion.py `Multinomial`, in float64) computes the schedule,
q(z_t | z_0), the posterior q(z_{t-1} | z_t, p0) and the ELBO terms for a few small cases; the committed
tests/fixtures/diffusion-parity.json must equal what it computes now, and tests/unit/diffusion-parity.test.ts
checks electron/engine/math/schedule.ts and posterior.ts against the same file (1e-6 relative).
After a deliberate change of the maths, rewrite the file and run both tests:

    VQDDM_WRITE_PARITY=1 /usr/bin/python3 -m pytest -q models/training/tests/test_diffusion_parity.py
    npx vitest run tests/unit/diffusion-parity.test.ts
"""
import json
import math
import os

import numpy as np
import torch

from models.training import diffusion as DF
from models.training import schedule as S

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "diffusion-parity.json")

SCHEDULES = [
    (200, dict(S.DEFAULT)),                       # the shipped pack's schedule
    (20, dict(S.DEFAULT, sqrt_alpha=False)),      # the paper's form, and a clip reached early
    (50, dict(S.DEFAULT, s=0.02, alpha_clip_min=0.01)),
]
# (schedule index, K, t, z_t, p0 kind): soft = a random distribution, onehot:<z0>
CASES = [
    (0, 3, 1, 0, "soft"), (0, 3, 1, 2, "onehot:2"), (0, 3, 1, 1, "onehot:0"),
    (0, 5, 2, 4, "soft"), (0, 5, 2, 4, "onehot:1"), (0, 5, 50, 0, "soft"), (0, 5, 100, 3, "onehot:3"),
    (0, 8, 100, 5, "soft"), (0, 8, 199, 7, "soft"), (0, 8, 200, 1, "soft"), (0, 8, 200, 1, "onehot:6"),
    (1, 4, 1, 3, "soft"), (1, 4, 10, 0, "onehot:2"), (1, 4, 19, 2, "soft"), (1, 4, 20, 2, "soft"),
    (2, 6, 1, 5, "soft"), (2, 6, 25, 0, "soft"), (2, 6, 50, 4, "onehot:4"),
]


def sched_json(p: dict) -> dict:
    return {"kind": p["kind"], "s": p["s"], "alphaClipMin": p["alpha_clip_min"], "sqrtAlpha": p["sqrt_alpha"]}


def vectors() -> dict:
    rng = np.random.default_rng(20240607)
    out = {"about": "written by models/training/tests/test_diffusion_parity.py (VQDDM_WRITE_PARITY=1), read by "
                    "tests/unit/diffusion-parity.test.ts; float64 throughout",
           "schedules": [], "cases": []}
    for T, p in SCHEDULES:
        out["schedules"].append({"T": T, "params": sched_json(p), "alpha": S.alphas(T, p)[1:].tolist(),
                                 "abar": S.alpha_bars(T, p).tolist()})
    for si, K, t, zt, kind in CASES:
        T, p = SCHEDULES[si]
        if kind == "soft":
            logits = rng.normal(0.0, 2.0, K)
            p0 = np.exp(logits - logits.max())
            p0 = p0 / p0.sum()
        else:
            p0 = np.zeros(K)
            p0[int(kind.split(":")[1])] = 1.0
        mn = DF.Multinomial(K, T, p, dtype=torch.float64)
        log_p0 = torch.log(torch.tensor(p0, dtype=torch.float64)).view(1, K, 1, 1)  # one-hot: exact -inf, as the engine
        log_zt = torch.log(torch.nn.functional.one_hot(torch.tensor(zt), K).double()).view(1, K, 1, 1)
        tt = torch.tensor([t])
        case = {"schedule": si, "K": K, "t": t, "zt": zt, "p0": p0.tolist(),
                "posterior": mn.log_posterior(log_p0, log_zt, tt).exp().flatten().tolist()}
        if kind != "soft":
            z0 = int(kind.split(":")[1])
            case["z0"] = z0
            case["q_t_given_0"] = mn.log_q_t_given_0(log_p0, tt).exp().flatten().tolist()
            # the training loss with z_t fixed: L_t = KL(q(z_{t-1}|z_t,z_0) || p(z_{t-1}|z_t)) (t >= 2) or
            # -log p(z_0|z_1) (t = 1), and the prior term KL(q(z_T|z_0) || uniform), the model's p0 the soft one
            soft = rng.normal(0.0, 2.0, K)
            soft = np.exp(soft - soft.max()); soft = soft / soft.sum()
            mn.sample_t = lambda log_x0, t, gen=None: torch.full((1, 1, 1), zt)
            model = lambda z, t: torch.log(torch.tensor(soft, dtype=torch.float64)).view(1, K, 1, 1)
            Lt, prior = mn.loss_terms(model, torch.full((1, 1, 1), z0), tt)
            case.update(model_p0=soft.tolist(), loss_t=float(Lt[0]), loss_prior=float(prior[0]))
        out["cases"].append(case)
    return out


def first_difference(a, b, rtol, path="$"):
    """None when a and b have the same structure, strings and ints, and floats within rtol (relative);
    otherwise where they first differ."""
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys()):
            return f"{path}: keys differ"
        return next((d for k in a if (d := first_difference(a[k], b[k], rtol, f"{path}.{k}"))), None)
    if isinstance(a, list) or isinstance(b, list):
        if not (isinstance(a, list) and isinstance(b, list) and len(a) == len(b)):
            return f"{path}: lengths differ"
        return next((d for i, (x, y) in enumerate(zip(a, b)) if (d := first_difference(x, y, rtol, f"{path}[{i}]"))), None)
    if isinstance(a, float) or isinstance(b, float):
        return None if math.isclose(a, b, rel_tol=rtol, abs_tol=0.0) else f"{path}: computed {a!r}, committed {b!r}"
    return None if a == b else f"{path}: computed {a!r}, committed {b!r}"


def test_committed_vectors_are_what_python_computes():
    v = vectors()
    if os.environ.get("VQDDM_WRITE_PARITY"):
        with open(FIXTURE, "w") as fh:
            json.dump(v, fh, indent=1)
            fh.write("\n")
    with open(FIXTURE) as fh:
        committed = json.load(fh)
    diff = first_difference(v, committed, 1e-12)
    assert diff is None, (f"tests/fixtures/diffusion-parity.json is not what models/training computes now ({diff}); "
                          "if the change is meant, rewrite the file (see this test's docstring) and make the engine agree")


def test_vectors_are_sane():
    v = vectors()
    for c in v["cases"]:
        assert abs(sum(c["posterior"]) - 1) < 1e-12
        if c["t"] == 1 and "z0" in c:  # q(z_0 | z_1, z_0) is z_0 itself
            assert c["posterior"][c["z0"]] == 1.0
        if "loss_t" in c:
            assert c["loss_t"] >= 0 and c["loss_prior"] >= 0

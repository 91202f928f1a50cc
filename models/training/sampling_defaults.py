"""Set how a pack's priors sample by default (manifest `diffusion.default_truncation`,
`transformer.default_top_k`): the values chosen on the validation photos, which the app, the CLI and the
batch start from. The result is validated against models/pack.schema.json before it is written.

    /usr/bin/python3 -m models.training.sampling_defaults --pack models/default --truncation 0.3 --top_k 5 \
        --note '{"chosen_on": "..."}'
"""
from __future__ import annotations

import argparse
import json
import os

from .swap_priors import write_manifest


def set_sampling(pack: str, truncation: float, top_k: int, note: dict) -> dict:
    m = json.load(open(os.path.join(pack, "manifest.json")))
    m["diffusion"]["default_truncation"] = truncation
    m["transformer"]["default_top_k"] = top_k
    m.setdefault("training", {})["sampling"] = note
    write_manifest(pack, m)
    return m


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--pack", required=True)
    ap.add_argument("--truncation", type=float, required=True, help="VQ-DDM's truncation r (1 = off)")
    ap.add_argument("--top_k", type=int, required=True, help="the transformer's top-k (0 = all)")
    ap.add_argument("--note", default="", help="JSON object recorded as manifest.training.sampling")
    a = ap.parse_args(argv)
    set_sampling(a.pack, a.truncation, a.top_k, json.loads(a.note) if a.note else {})


if __name__ == "__main__":
    main()

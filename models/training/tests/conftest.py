import os
import sys

import numpy as np
import pytest
import torch
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

torch.set_num_threads(max(1, min(2, torch.get_num_threads())))


@pytest.fixture(scope="session")
def photo_dir(tmp_path_factory):
    """Nine smooth synthetic 'photos' (gradients + blobs), enough for a train/val/test split."""
    d = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:300, 0:320] / 300.0
    for i in range(9):
        img = np.stack([np.sin(xx * rng.uniform(1, 8) + rng.uniform(0, 6)) for _ in range(3)], -1)
        img += 0.3 * np.stack([np.cos(yy * rng.uniform(1, 8)) for _ in range(3)], -1)
        Image.fromarray(((img * 0.35 + 0.5).clip(0, 1) * 255).astype(np.uint8)).save(d / f"p{i}.png")
    return str(d)

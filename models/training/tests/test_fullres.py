"""The full-resolution metrics (docs/METHOD.md "Measuring a fill") on images whose answers are known."""
import cv2
import numpy as np

from models.training import fullres as FR
from models.training import masks as MK


def photo(seed=0, h=120, w=160):
    rng = np.random.default_rng(seed)
    base = cv2.GaussianBlur(rng.uniform(0, 255, (h, w, 3)), (0, 0), 6)
    return np.clip(base + rng.normal(0, 20, (h, w, 3)), 0, 255).astype(np.uint8)


def test_a_perfect_fill_scores_the_photo_itself():
    o = photo()
    m = MK.make("box", o.shape[1], o.shape[0], 3) > 0
    s = FR.score(o, o, m)
    assert s["psnr_db"] > 90 and s["content_psnr_db"] > 90 and abs(s["ssim"] - 1) < 1e-9
    core, ring = s["detail_parts"]
    assert 0.7 < core / ring < 1.4  # the photo's own grain inside vs around the mask
    assert abs(FR.seam(o, m) - s["seam"]) < 1e-12


def test_a_blur_has_no_detail_and_keeps_content():
    o = photo(1)
    m = MK.make("blob", o.shape[1], o.shape[0], 4) > 0
    blurred = o.copy()
    blurred[m] = cv2.GaussianBlur(o, (0, 0), 3)[m]
    s = FR.score(o, blurred, m)
    core, ring = s["detail_parts"]
    assert core / ring < 0.1
    assert s["content_psnr_db"] > s["psnr_db"] + 3  # wrong only in the grain the content blur removes


def test_masks_cover_what_they_promise():
    for kind in MK.KINDS:
        for seed in range(20):
            m = MK.make(kind, 400, 300, seed) > 0
            frac = m.mean()
            assert m.any()
            if kind in ("box", "blob"):
                assert 0.03 <= frac <= 0.15, (kind, frac)
    assert (MK.make("box", 100, 80, 7) == MK.make("box", 100, 80, 7)).all()  # seeded


def test_summary_reports_median_and_pooled_detail():
    rows = [{"psnr_db": 20, "ssim": 0.5, "content_psnr_db": 25, "seam": 0.05, "ms_per_fill": 10, "detail_parts": (a, 1.0)}
            for a in (0.2, 0.4, 3.0)]
    s = FR.summarise(rows)
    assert s["detail"] == 0.4 and abs(s["detail_pooled"] - 3.6 / 3) < 1e-12 and s["n"] == 3


def test_the_detail_variants_add_rows_after_the_defaults():
    plain = FR.methods_for(FR.VARIANTS)
    assert plain == ("vqddm", "transformer", "vqddm_learned", "transformer_learned", "vqddm_coarse",
                     "transformer_coarse", "telea", "ns")
    more = FR.methods_for({**FR.VARIANTS, **FR.DETAIL_VARIANTS})
    assert more[:6] == plain[:6] and more[-2:] == ("telea", "ns")
    assert {"vqddm_detail", "transformer_learned_detail"} <= set(more)
    assert all("--detail" in f for f in FR.DETAIL_VARIANTS.values())

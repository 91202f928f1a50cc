"""The pack contract (models/pack.schema.json): the shipped packs follow it, export writes manifests and graphs
that follow it and refuses to write one that does not, and models/README.md's table of tensors says the same."""
import json
import os
import re

import onnx
import pytest

from models.training import export as EX
from models.training import pack_schema as PS
from models.training.make_tiny_pack import tiny_models

MODELS = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
PACKS = [p for p in ("default", "tiny") if os.path.exists(os.path.join(MODELS, p, "manifest.json"))]


def manifest_of(pack_dir):
    with open(os.path.join(pack_dir, "manifest.json")) as fh:
        return json.load(fh)


@pytest.mark.parametrize("pack", PACKS)
def test_shipped_packs_follow_the_schema(pack):
    assert PS.problems(manifest_of(os.path.join(MODELS, pack))) == []


def test_the_schema_names_every_broken_field():
    m = manifest_of(os.path.join(MODELS, "tiny"))
    m["latent"]["grid"] = "16"
    del m["diffusion"]["T"]
    m["files"]["diffusion"]["inputs"][1]["dtype"] = "float32"
    m["files"]["diffusion"]["outputs"][0]["shape"][3] = 63
    found = PS.problems(m)
    assert "/latent/grid '16' is not of type 'integer'" in found
    assert "/diffusion 'T' is a required property" in found
    assert "/files/diffusion/inputs/1/dtype 'int64' was expected" in found
    assert "/files/diffusion/outputs/0/shape/3 must equal /latent/codebook_size (64), got 63" in found


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("pack")
    vq, unet, gpt, guided = tiny_models()
    EX.export_pack(str(out), vq, unet, gpt, guided=guided, name="t", description="t", default_steps=10)
    return str(out), (vq, unet, gpt, guided)


ONNX_DTYPES = {onnx.TensorProto.FLOAT: "float32", onnx.TensorProto.INT64: "int64"}


def test_export_writes_a_manifest_and_graphs_that_follow_the_schema(exported):
    out, _ = exported
    m = manifest_of(out)
    assert PS.problems(m) == []
    sizes = {"K": m["latent"]["codebook_size"], "L": m["transformer"]["layers"], "heads": m["transformer"]["heads"],
             "head_dim": m["transformer"]["head_dim"]}
    contract = PS.contract()
    assert sorted(m["files"]) == sorted(contract)
    for role, f in m["files"].items():
        graph = onnx.load(os.path.join(out, f["path"])).graph
        for declared, actual, want in [(f["inputs"], graph.input, contract[role][0]), (f["outputs"], graph.output, contract[role][1])]:
            resolved = [{**t, "shape": [sizes.get(d, d) if isinstance(d, str) else d for d in t["shape"]]} for t in want]
            assert declared == resolved, role
            # the graph's own signature: names, dtypes and ranks as declared, the dynamic axes named as in the
            # schema; a fixed size is fixed in the graph too, or left to the graph to infer (never another size)
            assert [(v.name, ONNX_DTYPES[v.type.tensor_type.elem_type]) for v in actual] == \
                [(t["name"], t["dtype"]) for t in resolved], role
            for v, t in zip(actual, resolved):
                dims = [d.dim_param or (d.dim_value if d.HasField("dim_value") else None) for d in v.type.tensor_type.shape.dim]
                assert len(dims) == len(t["shape"]), (role, v.name)
                for d, want_d in zip(dims, t["shape"]):
                    assert d == want_d or (isinstance(want_d, int) and not isinstance(d, int)), (role, v.name, dims)


def test_export_refuses_to_write_a_manifest_the_schema_refuses(exported, tmp_path):
    _, (vq, unet, gpt, _) = exported
    with pytest.raises(ValueError, match=r"/diffusion/default_steps 0 is less than the minimum of 1"):
        EX.export_pack(str(tmp_path), vq, unet, gpt, name="t", description="t", default_steps=0)
    assert not (tmp_path / "manifest.json").exists()


def test_specs_fill_in_the_sizes_the_manifest_fixes():
    sp = PS.specs(7, 3, 5, 11)
    assert sp["diffusion"][1] == [{"name": "log_p0", "dtype": "float32", "shape": ["B", "H", "W", 7]}]
    assert [t["shape"] for t in sp["transformer"][0]] == [["B", "N"], [], [3, 2, "B", 5, "C", 11]]
    assert [t["shape"] for t in sp["transformer"][1]] == [["B", "N", 7], [3, 2, "B", 5, "N", 11]]
    assert EX.specs is PS.specs


def test_readme_table_of_tensors_is_the_schemas():
    with open(os.path.join(MODELS, "README.md")) as fh:
        text = fh.read()
    section = text.split("### Roles and tensors", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| (\w+)(?: \(optional\))? \| (.*) \| (.*) \|$", section, re.M)
    tensors = lambda cell: [{"name": n, "dtype": d, "shape": [int(x) if x.isdigit() else x for x in s.split(", ") if s]}
                            for n, d, s in re.findall(r"`(\w+)` (float32|int64) \[([^\]]*)\]", cell)]
    table = {role: (tensors(ins), tensors(outs)) for role, ins, outs in rows if role != "role"}
    assert table == {role: tuple(io) for role, io in PS.contract().items()}

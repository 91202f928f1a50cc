"""The pack contract, models/pack.schema.json, as the exporter uses it: each role's tensor specs are read from it
(`specs`), and every manifest.json written is validated against it (`validate`, Debian's python3-jsonschema).
The engine validates with the same file (electron/engine/packs/manifest.ts).
"""
from __future__ import annotations

import copy
import functools
import json
import os

SCHEMA_PATH = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pack.schema.json"))
DIM_REF = "#/$defs/dims/"  # a size the manifest fixes (K, L, heads, head_dim), named by its definition


@functools.lru_cache(maxsize=1)
def schema() -> dict:
    with open(SCHEMA_PATH) as fh:
        return json.load(fh)


def _tensors(node: dict | None) -> list:
    out = []
    for t in (node or {}).get("prefixItems", []):
        p = t["properties"]
        shape = [d["$ref"][len(DIM_REF):] if d.get("$ref", "").startswith(DIM_REF) else d["const"]
                 for d in p["shape"].get("prefixItems", [])]  # a scalar: no items
        out.append({"name": p["name"]["const"], "dtype": p["dtype"]["const"], "shape": shape})
    return out


@functools.lru_cache(maxsize=1)
def _contract() -> dict:
    return {role: (_tensors(s["properties"].get("inputs")), _tensors(s["properties"].get("outputs")))
            for role, s in schema()["$defs"]["roles"].items()}


def contract() -> dict:
    """role -> (inputs, outputs), each a list of {"name", "dtype", "shape"} in order; shapes are symbolic: fixed
    sizes, dynamic dims by name (B, H, W, 4H, 4W, S, N, P, P+N: also the ONNX graphs' dim names), and the sizes
    the manifest fixes by name (K, L, heads, head_dim)."""
    return copy.deepcopy(_contract())


def specs(K: int, L: int, heads: int, hd: int) -> dict:
    """The manifest's tensor entries, one (inputs, outputs) pair per role, with K, L, heads and head_dim filled in."""
    sizes = {"K": K, "L": L, "heads": heads, "head_dim": hd}
    assert set(sizes) == set(schema()["$defs"]["dims"]), "pack.schema.json names other sizes than specs() fills in"
    fill = lambda ts: [{**t, "shape": [sizes.get(d, d) if isinstance(d, str) else d for d in t["shape"]]} for t in ts]
    return {role: (fill(ins), fill(outs)) for role, (ins, outs) in contract().items()}


def _at(doc, pointer: str):
    for key in pointer.split("/")[1:]:
        key = key.replace("~1", "/").replace("~0", "~")
        if not isinstance(doc, dict) or key not in doc:
            return None
        doc = doc[key]
    return doc


def problems(manifest) -> list:
    """Every way `manifest` breaks the schema, as "/json/pointer message" strings (empty: valid)."""
    import jsonschema
    from jsonschema import validators

    def x_equals(_validator, pointer, instance, _schema):  # the schema's own keyword: equals another field
        want = _at(manifest, pointer)
        if want is not None and (instance != want or type(instance) is not type(want)):
            yield jsonschema.ValidationError(f"must equal {pointer} ({json.dumps(want)}), got {json.dumps(instance)}")

    cls = validators.extend(jsonschema.Draft202012Validator, {"x-equals": x_equals})
    return ["/" + "/".join(str(p) for p in e.absolute_path) + " " + e.message for e in cls(schema()).iter_errors(manifest)]


def validate(manifest) -> None:
    """Raises ValueError naming every problem of `manifest` by its JSON pointer."""
    found = problems(manifest)
    if found:
        raise ValueError("manifest.json does not follow models/pack.schema.json: " + "; ".join(found))

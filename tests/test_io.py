import math

import pytest
import torch

from weightmem.io import (WeightFormatError, WeightSet, atomic_path, flatten, load_weightset,
                          save_weightset, unflatten)
from weightmem.nets.mlp import MLPArch

ARCH = MLPArch(6, 4, 3)


def make(n=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return WeightSet(ARCH.init(g, n), ARCH.layout, ARCH.tag,
                     {"run": list(range(n)), "step": [7] * n, "role": ["training"] * n},
                     {"config_hash": "abc", "seed": seed})


def test_round_trip(tmp_path):
    ws = make()
    p = tmp_path / "w.safetensors"
    save_weightset(ws, p)
    back = load_weightset(p, expect_arch=ARCH.tag, expect_dim=ARCH.dim)
    assert torch.equal(back.weights, ws.weights)
    assert back.layout == ws.layout and back.rows == ws.rows
    assert back.provenance["config_hash"] == "abc"


def test_unflatten_flatten_inverse():
    ws = make()
    parts = unflatten(ws.weights, ws.layout)
    assert parts["fc1.weight"].shape == (5, 4, 6) and parts["fc2.bias"].shape == (5, 3)
    assert torch.equal(flatten(parts, ws.layout), ws.weights)


def test_truncated_file_names_the_file(tmp_path):
    p = tmp_path / "w.safetensors"
    save_weightset(make(), p)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightFormatError, match="w.safetensors"):
        load_weightset(p)


def test_garbage_and_missing_files(tmp_path):
    p = tmp_path / "junk.safetensors"
    p.write_bytes(b"\x00" * 100)
    with pytest.raises(WeightFormatError, match="junk.safetensors"):
        load_weightset(p)
    with pytest.raises(WeightFormatError, match="does not exist"):
        load_weightset(tmp_path / "absent.safetensors")


def test_wrong_layout_and_arch(tmp_path):
    ws = make()
    with pytest.raises(WeightFormatError, match="adds up to"):
        WeightSet(ws.weights[:, :-1], ws.layout, ws.arch)
    with pytest.raises(WeightFormatError, match="row column 'run'"):
        WeightSet(ws.weights, ws.layout, ws.arch, {"run": [1, 2]})
    p = tmp_path / "w.safetensors"
    save_weightset(ws, p)
    with pytest.raises(WeightFormatError, match="architecture is"):
        load_weightset(p, expect_arch="mlp:1-2-3")
    with pytest.raises(WeightFormatError, match="expected 9"):
        load_weightset(p, expect_dim=9)


def test_nan_rows_flagged_not_dropped(tmp_path):
    ws = make()
    ws.weights[2, 3] = math.nan
    p = tmp_path / "w.safetensors"
    save_weightset(ws, p)
    back = load_weightset(p)
    assert back.finite_rows().tolist() == [True, True, False, True, True]
    with pytest.raises(WeightFormatError, match=r"rows \[2\]"):
        load_weightset(p, require_finite=True)


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []

"""Output files: readable as the umask says, and equal bytes for equal content in any process."""
import os
import subprocess
import sys

import pytest
import torch

from dagrun import ENV

SAVE = """
import sys, torch
from weightmem.io import WeightSet, save_weightset, save_tensors
from weightmem.nets.mlp import MLPArch
a = MLPArch(6, 4, 3)
ws = WeightSet(a.init(torch.Generator().manual_seed(0), 4), a.layout, a.tag,
               {"run": [0, 1, 2, 3], "step": [1, 2, 3, 4], "role": ["x"] * 4},
               {"seed": 0, "stage": "test", "b": 1, "a": 2})
save_weightset(ws, sys.argv[1] + "/set.safetensors")
save_tensors({"z": torch.ones(3), "a": torch.zeros(2), "m": torch.arange(4)}, sys.argv[1] + "/t.safetensors",
             metadata={f"k{i}": str(i) for i in range(12)})
"""


def test_weight_files_are_byte_identical_across_processes(tmp_path):
    """safetensors writes its metadata in hash-map order, which changes from process to process;
    the saved header is sorted, so the same content gives the same bytes."""
    outs = []
    for i in range(4):
        d = tmp_path / str(i)
        d.mkdir()
        subprocess.run([sys.executable, "-c", SAVE, str(d)], check=True, env=ENV, timeout=120)
        outs.append({n: (d / n).read_bytes() for n in ("set.safetensors", "t.safetensors")})
    assert all(o == outs[0] for o in outs[1:])


def test_sorted_header_still_loads(tmp_path):
    from weightmem.io import load_tensors, save_tensors

    t = {"b": torch.arange(5.0), "a": torch.ones(2, 3, dtype=torch.float64)}
    save_tensors(t, tmp_path / "t.safetensors", metadata={"y": "é" * 3, "x": "line\nbreak"})
    back = load_tensors(tmp_path / "t.safetensors")
    assert all(torch.equal(back[k], v) for k, v in t.items())
    from safetensors import safe_open

    with safe_open(str(tmp_path / "t.safetensors"), framework="pt") as f:
        assert f.metadata() == {"x": "line\nbreak", "y": "ééé"}


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_outputs_follow_the_umask(tmp_path, umask, mode):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from weightmem.io import save_figure, save_tensors, write_csv

    old = os.umask(umask)
    try:
        save_tensors({"a": torch.ones(2)}, tmp_path / "a.safetensors")
        write_csv(pd.DataFrame({"x": [1]}), tmp_path / "a.csv")
        fig = plt.figure()
        save_figure(fig, tmp_path / "a.png")
        plt.close(fig)
    finally:
        os.umask(old)
    for name in ("a.safetensors", "a.csv", "a.png"):
        assert (tmp_path / name).stat().st_mode & 0o777 == mode, name

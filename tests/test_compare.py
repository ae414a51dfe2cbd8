"""The result-folder comparison used to check refactors (weightmem.compare)."""
import numpy as np
import pandas as pd
import torch
from safetensors.torch import save_file

from weightmem.compare import compare, main


def _folder(root, w, acc):
    (root / "m" / "weights").mkdir(parents=True)
    (root / "m" / "tables").mkdir(parents=True)
    (root / "logs").mkdir()
    save_file({"weights": w}, str(root / "m" / "weights" / "s.safetensors"))
    pd.DataFrame({"accuracy": acc}).to_csv(root / "m" / "tables" / "s.csv", index=False)
    (root / "logs" / "x.log").write_text(str(np.random.rand()))  # never compared
    return root


def test_equal_folders_and_each_kind_of_difference(tmp_path):
    w = torch.randn(4, 3)
    a = _folder(tmp_path / "a", w, [1.0, 2.0])
    b = _folder(tmp_path / "b", w + 5e-7, [1.0, 2.0])
    lines, same, bad = compare(a, b)
    assert (same, bad) == (2, 0) and main([str(a), str(b)]) == 0
    c = _folder(tmp_path / "c", w + 1e-3, [1.0, 2.5])
    lines, same, bad = compare(a, c)
    assert bad == 2 and any("max |Δ|" in x for x in lines) and any("s.csv" in x for x in lines)
    assert main([str(a), str(c)]) == 1
    (c / "m" / "tables" / "extra.csv").write_text("x\n1\n")
    assert any(x.startswith("only in second") for x in compare(a, c)[0])


def test_renamed_folder_is_matched(tmp_path):
    w = torch.zeros(2, 2)
    a = _folder(tmp_path / "a", w, [1.0])
    b = tmp_path / "b"
    (a / "m" / "weights").rename(tmp_path / "moved")
    _folder(b, w, [1.0])
    (b / "m" / "weights").rename(b / "m" / "behaviour")
    (tmp_path / "moved").rename(a / "m" / "weights")
    assert compare(a, b)[2] == 2
    assert compare(a, b, renames={"m/weights": "m/behaviour"})[2] == 0

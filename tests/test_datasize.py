"""The data-size experiment's library (weightmem.datasize): subsets, per-model distances, the
table row (min-L2 ratio, Z_U verdict) and the figure."""
import math
import re

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from weightmem import datasize
from weightmem.figures import data_size
from weightmem.io import WeightSet, arch_layout, save_figure

ARCH = "mlp:64-10-10"


def ws(weights, **rows):
    n = len(weights)
    return WeightSet(weights.float(), arch_layout(ARCH), ARCH, {k: list(v) for k, v in rows.items()}
                     or {"run": list(range(n))})


def beh(n, acc=90.0):
    return {"accuracy": torch.full((n,), acc), "diverged": torch.zeros(n, dtype=torch.bool)}


def test_subsets_are_deterministic_nested_and_sized():
    runs = list(range(100, 140))
    q, h, full = (datasize.subset_runs(runs, f, seed=51) for f in (0.25, 0.5, 1.0))
    assert len(q) == 10 and len(h) == 20 and full == runs
    assert set(q) <= set(h) <= set(full)  # nested: smaller subsets lie inside larger ones
    assert q == datasize.subset_runs(runs[::-1], 0.25, seed=51)  # order of the input is irrelevant
    assert q != datasize.subset_runs(runs, 0.25, seed=52)  # the seed chooses
    assert len(datasize.subset_runs(runs, 0.01, seed=0)) == 2  # at least two runs
    with pytest.raises(ValueError, match="at least 2"):
        datasize.subset_runs([3], 0.5, seed=0)
    assert datasize.size_name(0.25) == "0.25" and datasize.size_name(1.0) == "1"
    assert datasize.is_full("1") and not datasize.is_full("0.5")


def test_keep_training_runs_keeps_every_heldout_run():
    runs = [0, 0, 1, 1, 2, 2, 3, 3]
    split = ["train"] * 6 + ["heldout"] * 2
    zoo = ws(torch.randn(8, 760), run=runs, split=split, step=[0, 1] * 4)
    sub = datasize.keep_training_runs(zoo, [2])
    assert sub.rows["run"] == [2, 2, 3, 3] and sub.rows["split"] == ["train"] * 2 + ["heldout"] * 2
    assert torch.equal(sub.weights, zoo.weights[4:])
    with pytest.raises(ValueError, match="not training runs"):
        datasize.keep_training_runs(zoo, [3])
    fin = ws(torch.randn(3, 760), run=[5, 6, 7])
    assert datasize.keep_runs(fin, [7, 5]).rows["run"] == [5, 7]


def _sets(copy: bool, n_train=24, n=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    train = torch.randn(n_train, 760, generator=g) * 0.3
    held = torch.randn(n, 760, generator=g) * 0.3
    gen = (train[:n] + 1e-3 * torch.randn(n, 760, generator=g) if copy
           else torch.randn(n, 760, generator=g) * 0.3)
    return {"training": ws(train, run=range(n_train)),
            "heldout": ws(held, run=range(100, 100 + n)),
            "generated": ws(gen, prompt_run=range(100, 100 + n))}


@pytest.mark.parametrize("distance", ["plain", "aligned"])
def test_a_planted_copier_is_called_copies_with_a_small_ratio(distance):
    sets = _sets(copy=True)
    models = datasize.per_model(sets, {k: beh(len(v)) for k, v in sets.items()}, distance)
    assert models.groupby("set").size().to_dict() == {"generated": 12, "heldout": 12,
                                                       "training": 24}
    gen = models[models.set == "generated"]
    assert (gen.nearest_training_run == gen.model).all()  # each copy's nearest is its source
    assert gen.run.tolist() == list(range(100, 112))  # the prompt's run
    row = datasize.summarise(models, "0.5", 24)
    assert row["verdict"] == "copies" and row["z_u"] < -3 and row["closer_chance"] == 1.0
    assert row["min_l2_ratio"] < 0.01
    assert row["median_min_l2_generated"] < row["median_min_l2_training"]
    assert row["training_runs"] == 24 and row["fraction"] == 0.5


def test_new_models_are_not_copies_and_diverged_ones_are_counted_not_measured():
    sets = _sets(copy=False, seed=1)
    w = sets["generated"].weights.clone()
    w[0] = float("nan")
    sets["generated"] = ws(w, prompt_run=range(100, 112))
    b = {k: beh(len(v)) for k, v in sets.items()}
    models = datasize.per_model(sets, b, "plain")
    assert models[models.set == "generated"].diverged.sum() == 1
    row = datasize.summarise(models, "1", 24)
    assert row["verdict"] != "copies" and 0.9 < row["min_l2_ratio"] < 1.1
    assert row["generated_models"] == 12 and row["generated_excluded"] == 1
    assert all(math.isfinite(row[k]) for k in ("z_u", "median_min_l2_generated",
                                                 "mean_min_l2_heldout", "accuracy_generated"))


def test_table_and_figure(tmp_path):
    rows = []
    for size, n, ratio in (("1", 40, 0.9), ("0.25", 10, 0.3), ("0.5", 20, 0.6)):
        models = pd.DataFrame({
            "set": ["generated"] * 10 + ["heldout"] * 10 + ["training"] * n,
            "model": list(range(10)) * 2 + list(range(n)),
            "accuracy": [50.0] * 10 + [90.0] * 10 + [92.0] * n,
            "diverged": [False] * (20 + n),
            "min_l2": list(ratio * np.linspace(9, 11, 10)) + list(np.linspace(9, 11, 10))
                      + [10.0] * n})
        rows.append(datasize.summarise(models, size, n))
    df = datasize.table(rows)
    assert df.training_runs.tolist() == [10, 20, 40]
    assert df.min_l2_ratio.round(3).tolist() == [0.3, 0.6, 0.9]
    out = tmp_path / "data_size.png"
    save_figure(data_size.draw(df), out)
    img = np.asarray(Image.open(out).convert("L"), dtype=float)
    assert img.shape[0] > 500 and img.std() > 10


def test_the_overlays_validate_and_bad_values_are_named(root):
    import yaml

    from weightmem.config import ConfigError, validate

    def cfg(*overlays):
        c = yaml.safe_load((root / "config" / "config.yaml").read_text())
        for o in overlays:
            c.update(o)
        return c

    over = yaml.safe_load((root / "config" / "data-size.yaml").read_text())
    assert validate(cfg(over), root / "config" / "schema.yaml")["data_size"]["fractions"] == \
        [0.25, 0.5, 1.0]
    seeds = yaml.safe_load((root / "config" / "seeds.yaml").read_text())
    assert validate(cfg(seeds), root / "config" / "schema.yaml")["seeds"] == [0, 1, 2]
    for bad, msg in (({"data_size": {"fractions": [0]}}, "data_size.fractions.0: 0 is not > 0"),
                     ({"data_size": {"fractions": [1.5]}}, "1.5 is not <= 1"),
                     ({"seeds": [1, 1]}, "seeds: [1, 1] has duplicate items")):
        with pytest.raises(ConfigError, match=re.escape(msg)):
            validate(cfg(bad), root / "config" / "schema.yaml")

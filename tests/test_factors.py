"""The modeling-factors table helpers (weightmem.factors)."""
import pandas as pd
import pytest
import torch

from weightmem import factors as F

BASE = {"width": 96, "heads": 4, "steps": 2500, "dropout": 0.0}


def test_variant_config_overrides_the_default_only_where_asked():
    fac = {"epochs50": {"steps": 1250}, "dim_head_up": {"width": 120, "heads": 5}}
    assert F.variant_config(BASE, fac, "default", "gpt") == BASE
    v = F.variant_config(BASE, fac, "dim_head_up", "gpt")
    assert v == {**BASE, "width": 120, "heads": 5}
    assert BASE["width"] == 96  # the base is not modified
    third = F.variant_config(BASE, {"epochs33": {"steps_fraction": 1 / 3}}, "epochs33", "gpt")
    assert third == {**BASE, "steps": 833}


def test_variant_config_error_names_the_variant_and_the_configured_ones():
    with pytest.raises(ValueError, match="unknown generator variant 'layer_up'.*epochs50"):
        F.variant_config(BASE, {"epochs50": {"steps": 1}}, "layer_up", "gpt")


def test_set_names_round_trip():
    for v in ("default", "epochs33", "dim_head_up"):
        assert F.variant_of(F.set_name(v)) == v
    with pytest.raises(ValueError, match="not a generated weight set"):
        F.variant_of("noise0.05")


def test_count_state():
    assert F.count_state({"a": torch.zeros(3, 4), "b": torch.zeros(5)}) == 17


def _table(acc, l2, diverged=None):
    n = len(acc)
    return pd.DataFrame({"accuracy": acc, "min_l2": l2, "max_similarity": [0.5] * n,
                         "diverged": diverged or [False] * n})


def test_summarise_rows_means_and_diverged_models():
    training = _table([90.0, 94.0], [3.0, 5.0])
    gen = {"default": _table([80.0, 10.0], [1.0, float("nan")], [False, True]),
           "epochs33": _table([70.0, 72.0], [2.0, 4.0])}
    df = F.summarise("gpt", training, gen, {"default": 100, "epochs33": 100})
    assert df.setting.tolist() == ["training", "default gen", "training epochs 33.3%"]
    assert df.accuracy.tolist() == [92.0, 80.0, 71.0]  # the diverged model is counted, not averaged
    assert df.min_l2.tolist() == [4.0, 1.0, 3.0]
    assert df.diverged.tolist() == [0, 1, 0] and df.models.tolist() == [2, 2, 2]
    assert pd.isna(df.params.iloc[0]) and df.params.iloc[1] == 100


def test_summarise_rejects_empty_or_incomplete_tables():
    with pytest.raises(ValueError, match="gpt default table has no rows"):
        F.summarise("gpt", _table([90.0], [3.0]), {"default": _table([], [])}, {"default": 1})
    with pytest.raises(ValueError, match=r"training table lacks columns \['min_l2'\]"):
        F.summarise("gpt", _table([90.0], [3.0]).drop(columns="min_l2"), {}, {})

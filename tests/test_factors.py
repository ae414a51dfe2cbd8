"""The modeling-factors table helpers (weightmem.factors)."""
import numpy as np
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


def test_epochs_fraction_follows_the_default_epochs():
    base = {"epochs": 20, "d_model": 32}
    v = F.variant_config(base, {"epochs33": {"epochs_fraction": 0.3333}}, "epochs33", "hyperrep")
    assert v == {"epochs": 7, "d_model": 32}
    tiny = F.variant_config({"epochs": 1}, {"e": {"epochs_fraction": 0.1}}, "e", "hyperrep")
    assert tiny["epochs"] == 1  # at least one epoch


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


def test_set_level_performance_comes_from_the_set_rows():
    """HyperDiffusion's declaration: MMD of the whole set (one row per set), lower = better."""
    from weightmem.methods.hyperdiffusion import METHOD

    col = METHOD.factor_performance
    assert col.name == "mmd" and col.per == "set" and not col.higher_is_better

    def tab(l2, empty):
        return pd.DataFrame({"min_l2": l2, "empty": empty, "min_cd_test": [0.1] * len(l2)})

    training = tab([100.0, 120.0], [False, False])
    gen = {"default": tab([5.0, 50.0, 7.0], [False, True, False])}
    sets = {"training": {"mmd_train": 0.02}, "default": {"mmd_train": 0.05}}
    df = F.summarise("hyperdiffusion", training, gen, {"default": 10}, col, sets)
    assert df.mmd.tolist() == [0.02, 0.05]
    assert df.min_l2.tolist() == [110.0, 6.0]  # the empty mesh is counted, not averaged
    assert df.diverged.tolist() == [0, 1] and "accuracy" not in df
    assert col.good(0.021, 0.02) and not col.good(0.03, 0.02)  # within 10% of training
    with pytest.raises(ValueError, match="default: no set summary with column 'mmd_train'"):
        F.summarise("hyperdiffusion", training, gen, {"default": 10}, col,
                    {"training": {"mmd_train": 0.02}})


def test_histogram_reference_distance_for_hyperrep():
    """Hyper-Rep's min L2 is the histogram's: to one final-epoch reconstruction per run; the
    training row averages only the models in that reference."""
    training = pd.DataFrame({"accuracy": [60.0, 70.0, 80.0], "min_l2": [1.0, 2.0, 3.0],
                             "min_l2_reference": [40.0, 50.0, 99.0],
                             "in_reference": [True, True, False],
                             "diverged": [False] * 3})
    gen = {"default": pd.DataFrame({"accuracy": [50.0], "min_l2": [0.5],
                                    "min_l2_reference": [8.0], "diverged": [False]})}
    df = F.summarise("hyperrep", training, gen, {"default": 5}, histogram_reference=True)
    assert df.min_l2.tolist() == [45.0, 8.0]
    assert df.accuracy.tolist() == [70.0, 50.0]  # performance over every usable model
    plain = F.summarise("hyperrep", training, gen, {"default": 5})
    assert plain.min_l2.tolist() == [2.0, 0.5]


def test_modeling_factors_figure_panels_labels_and_orientation():
    from weightmem.figures import plots

    def rows(method, col, vals):
        return pd.DataFrame({"method": method, "variant": ["training", "default", "epochs33",
                                                           "noise"],
                             "min_l2": [8.0, 0.1, 0.1, 0.12], col: vals})

    fig = plots.modeling_factors(
        [("Hyper-Rep", rows("hyperrep", "accuracy", [84.0, 86.0, 86.1, 85.9]), "accuracy",
          "accuracy (%)", True),
         ("HyperDiffusion", rows("hyperdiffusion", "mmd", [0.05, 0.3, 0.31, 0.4]), "mmd",
          "MMD", False)], {"default": "default", **F.FACTORS})
    a, b = fig.axes
    assert not a.yaxis_inverted() and b.yaxis_inverted()  # lower MMD drawn higher
    labels = [t for t in a.texts if t.get_text() in ("default", "training epochs 33.3%",
                                                     "+Gaussian noise")]
    assert len(labels) == 3  # one per variant, none for the training row
    fig.canvas.draw()
    ys = sorted(t.get_window_extent().y0 for t in labels)
    # three points within 0.2 accuracy points: their labels are pushed apart, not stacked
    assert min(np.diff(ys)) > 5

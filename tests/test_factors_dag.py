"""Hyper-Rep's and HyperDiffusion's modeling factors (study output 8) and HyperDiffusion's
permutation augmentation (output 10), end to end on tiny configs (real snakemake runs)."""
import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from dagrun import ROOT, TINY_FACTORS, factor_targets, run_snakemake

pytestmark = pytest.mark.slow  # real snakemake runs: the CI lane (make test), not make check

CONFIGS = TINY_FACTORS


def smk(*args, results, check=True):
    return run_snakemake(CONFIGS, *args, results=results, check=check, timeout=1500)


@pytest.fixture(scope="module")
def run(tiny_factors_run):
    return tiny_factors_run  # conftest.py: one run per session, shared with the two chains' tests


def test_the_analysis_rules_are_planned(tmp_path):
    results = tmp_path / "results"
    plan = smk("-n", *factor_targets(results), results=results)
    for rule in ("hyperrep_reference_variant", "hd_set_summary", "hd_permutation",
                 "figure_modeling_factors", "hd_figure_permutation"):
        assert f"rule {rule}:" in plan.stdout, rule
    assert "gpt_fit" not in plan.stdout


def _overlay():
    return yaml.safe_load((ROOT / "tests" / "config" / "tiny-factors.yaml").read_text())


def test_one_table_with_both_methods_rows(run):
    df = pd.read_csv(run / "tables" / "modeling_factors.csv")
    o = _overlay()
    hr, hd = df[df.method == "hyperrep"], df[df.method == "hyperdiffusion"]
    assert hr.variant.tolist() == ["training", "default", *o["hyperrep"]["run_factors"]]
    assert hd.variant.tolist() == ["training", "default", *o["hyperdiffusion"]["run_factors"]]
    # each method reports its declared performance column; the other's is blank
    assert hr.accuracy.notna().all() and hr.mmd.isna().all()
    assert hd.mmd.notna().all() and hd.accuracy.isna().all() and (hd.mmd > 0).all()
    assert np.isfinite(df.min_l2).all() and (df.min_l2 > 0).all()
    p = dict(zip(hr.variant, hr.params))
    assert p["epochs50"] == p["default"] < p["layer_up"]  # a deeper autoencoder
    q = dict(zip(hd.variant, hd.params))
    assert q["default"] < q["dim_head_up"]  # a wider denoiser
    # the training rows: Hyper-Rep's reconstructions among themselves (final-epoch reference),
    # HyperDiffusion's training fields (leave-one-out L2, meshes against their own shapes)
    assert hr.set_index("variant").loc["training", "models"] == 12  # 6 runs × 2 epochs
    hd_tr = pd.read_csv(run / "hyperdiffusion" / "tables" / "training.csv")
    assert hd.set_index("variant").loc["training", "min_l2"] == pytest.approx(
        hd_tr[~hd_tr["empty"]].min_l2.mean())


def test_hyperrep_variant_is_scored_against_its_own_reconstructions(run):
    w = run / "hyperrep" / "weights"
    for name in ("training-layer_up", "training-final-layer_up", "generated-layer_up"):
        assert (w / f"{name}.safetensors").is_file(), name
    own = pd.read_csv(run / "hyperrep" / "tables" / "generated-layer_up.csv")
    row = pd.read_csv(run / "tables" / "modeling_factors.csv").set_index(["method", "variant"])
    assert row.loc[("hyperrep", "layer_up"), "min_l2"] == pytest.approx(
        own[~own.diverged].min_l2_reference.mean())
    assert row.loc[("hyperrep", "layer_up"), "accuracy"] == pytest.approx(
        own[~own.diverged].accuracy.mean())
    log = (run / "logs" / "hyperrep" / "reference-layer_up.log").read_text()
    assert "reconstructions" in log


def test_hyperdiffusion_mmd_is_the_set_summary(run):
    row = pd.read_csv(run / "tables" / "modeling_factors.csv").set_index(["method", "variant"])
    for variant, s in (("default", "generated"), ("dim_head_up", "generated-dim_head_up"),
                       ("training", "training")):
        summ = pd.read_csv(run / "hyperdiffusion" / "tables" / "sets" / f"{s}.csv").iloc[0]
        assert row.loc[("hyperdiffusion", variant), "mmd"] == pytest.approx(summ.mmd_train)


def test_permutation_augmentation_table_and_figure(run):
    t = pd.read_csv(run / "hyperdiffusion" / "tables" / "permutation_augmentation.csv")
    assert t.permutations.tolist() == _overlay()["hyperdiffusion"]["permutation_augmentation"]
    assert t.data_multiplier.tolist() == [1, 2]
    assert t.set.tolist() == ["generated", "generated-perm1"]
    assert (t.samples == 6).all() and t.empty_rate.between(0, 1).all()
    for col in ("mmd", "coverage", "mean_min_l2"):
        assert t[col].notna().all(), col
    log = (run / "logs" / "hyperdiffusion" / "generator" / "perm1.log").read_text()
    assert "permutation augmentation: 1 copies of every field" in log
    for png in (run / "figures" / "hyperdiffusion" / "permutation_augmentation.png",
                run / "figures" / "modeling_factors.png"):
        img = np.asarray(Image.open(png).convert("L"), dtype=float)
        assert img.shape[0] > 200 and img.std() > 10, f"{png.name} looks empty"

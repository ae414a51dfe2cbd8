"""Hyper-Representations chain end to end on its tiny config (real snakemake runs)."""
import subprocess

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from dagrun import ENV, ROOT, SNAKEMAKE, run_snakemake

pytestmark = pytest.mark.slow  # real snakemake runs: the CI lane (make test), not make check

FIGS = ["heatmap", "min_distance_to_training", "decision_boundary", "performance_vs_novelty"]


def smk(*args, results, check=True):
    return run_snakemake(["tests/config/tiny-hyperrep.yaml"], *args, results=results,
                         check=check, timeout=1200)


@pytest.fixture(scope="module")
def tiny_run(tiny_factors_run):
    # conftest.py: tests/config/tiny-hyperrep.yaml's whole DAG, run once per session together
    # with HyperDiffusion's and the tiny modeling factors (they leave the default chain as is)
    return tiny_factors_run


def test_the_chain_is_planned_for_the_listed_method_only(tmp_path):
    plan = smk("-n", results=tmp_path / "results")
    for rule in ("hyperrep_zoo_shard", "hyperrep_fit", "hyperrep_sample", "hyperrep_invariance",
                 "behaviour", "figure_model_outputs"):
        assert f"rule {rule}:" in plan.stdout, rule
    assert "gpt_fit" not in plan.stdout and "hd_fit" not in plan.stdout


def test_chain_produces_the_four_figures(tiny_run):
    for f in FIGS:
        png = tiny_run / "figures" / "hyperrep" / f"{f}.png"
        img = np.asarray(Image.open(png).convert("L"), dtype=float)
        assert img.shape[0] > 200 and img.std() > 10, f"{f} looks empty"


def test_tables_follow_the_study_definitions(tiny_run):
    t = {s: pd.read_csv(tiny_run / "hyperrep" / "tables" / f"{s}.csv")
         for s in ("training", "generated", "generated-independent", "noise0.02", "noise0.04")}
    tr = t["training"]
    assert len(tr) == 12  # 6 runs × 2 stored epochs, all reconstructed
    assert len(t["generated"]) == 10 and len(t["generated-independent"]) == 10
    # noise on the top 30% reconstructions: quantile(0.7) of 12 accuracies → ≥ 4 models
    top = (tr.test_acc >= np.quantile(tr.test_acc, 0.7)).sum()
    assert len(t["noise0.02"]) == top == len(t["noise0.04"])
    for name, df in t.items():
        assert np.isfinite(df[["accuracy", "max_similarity", "min_l2", "min_l2_reference"]]
                           .to_numpy()).all(), name
    # histogram reference: one final-epoch model per run, never compared with itself
    ref = tr[tr.in_reference]
    assert len(ref) == 6 and (ref.epoch == ref.epoch.max()).all()
    assert (ref.nearest_by_l2_reference != ref.model).all()
    assert (tr.nearest_by_l2 != tr.model).all()


def test_invariance_table(tiny_run):
    df = pd.read_csv(tiny_run / "tables" / "invariance.csv")
    assert df["transform"].tolist() == ["original", "permuted", "scaled"]
    assert (df.models == 8).all()
    assert df.abs_accuracy_difference.between(0, 100).all()
    assert df.one_minus_similarity.between(0, 1).all()
    log = (tiny_run / "logs" / "analysis" / "invariance.log").read_text()
    assert "largest accuracy change on the raw weights" in log
    # its figure (declared with the section) beside the paper's bars, and the report's rows
    img = np.asarray(Image.open(tiny_run / "figures" / "hyperrep" / "invariance.png").convert("L"),
                     dtype=float)
    assert img.shape[0] > 200 and img.std() > 10
    c = pd.read_csv(tiny_run / "tables" / "paper_comparison.csv")
    inv = c[c.table == "invariance"].set_index(["row", "quantity"])
    assert inv.loc[("scaled", "abs_accuracy_difference"), "paper_value"] == 5.82
    assert inv.loc[("scaled", "abs_accuracy_difference"), "run"] == pytest.approx(
        df.set_index("transform").loc["scaled", "abs_accuracy_difference"])


def test_study_sampler_redecodes_training_latents(tiny_run):
    from weightmem.io import load_weightset

    w = tiny_run / "hyperrep" / "weights"
    study = load_weightset(w / "generated.safetensors")
    indep = load_weightset(w / "generated-independent.safetensors")
    assert study.provenance["sampler"] == "study" and indep.provenance["sampler"] == "independent"
    # study: every sample sits within a few bandwidths of one top latent (all coordinates shifted
    # together); independent draws mix coordinates of different latents
    assert max(study.rows["latent_distance"]) < 0.002 * 6 * np.sqrt(16)
    assert np.median(indep.rows["latent_distance"]) > np.median(study.rows["latent_distance"])


def test_logs_and_benchmarks_written(tiny_run):
    logs = list((tiny_run / "logs" / "hyperrep").rglob("*.log"))
    assert len(logs) >= 10 and all(p.stat().st_size > 0 for p in logs)
    assert (tiny_run / "benchmarks" / "hyperrep" / "generator" / "default.tsv").is_file()


def test_paper_config_dry_runs_hyperrep():
    out = subprocess.run(SNAKEMAKE + ["-n", "--configfile", "config/paper.yaml", "--cores", "8",
                                      "results-paper/figures/hyperrep/heatmap.png"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, env=ENV)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "hyperrep_zoo_shard" in out.stdout and "dataset" in out.stdout

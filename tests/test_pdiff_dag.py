"""P-diff chain to its seven figures on the tiny config (real snakemake run, real outputs)."""
import re
import subprocess

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from dagrun import ENV, ROOT, SNAKEMAKE
from test_dag import smk

pytestmark = pytest.mark.slow  # real snakemake runs: the CI lane (make test), not make check

FIGS = ["heatmap", "min_distance_to_training", "decision_boundary", "performance_vs_novelty",
        "param_value_distribution", "performance_vs_novelty_interpolate", "tsne_interpolate"]


@pytest.fixture(scope="module")
def pdiff_run(tmp_path_factory):
    results = tmp_path_factory.mktemp("tiny_pdiff") / "results"
    targets = [f"{results}/figures/pdiff/{f}.png" for f in FIGS]
    # one figure builds only what it needs: the KDE figure needs no evaluation at all
    plan = smk("-n", targets[4], results=results)
    assert "pdiff_fit" in plan.stdout
    assert not re.search(r"^\s*(rule |localrule )?behaviour[:\s]", plan.stdout, re.M)
    # the shared behaviour rule evaluates P-diff sets inside the declared context (base network)
    plan = smk("-n", *targets, results=results)
    jobs = re.findall(r"^rule behaviour:\n\s+input: ([^\n]*)", plan.stdout, re.M)
    assert jobs and all("pdiff/base/model.safetensors" in j for j in jobs), jobs
    smk(*targets, results=results)
    return results


def test_pdiff_chain_produces_seven_figures_and_tables(pdiff_run):
    r = pdiff_run
    for f in FIGS:
        img = np.asarray(Image.open(r / "figures" / "pdiff" / f"{f}.png").convert("L"), float)
        assert img.shape[0] > 200 and img.std() > 10, f"{f} looks empty"
    sizes = {"training": 24, "generated": 12, "noise0.06": 24, "noise0.12": 24, "average": 10,
             "gaussian": 10}
    tables = {s: pd.read_csv(r / "pdiff" / "tables" / f"{s}.csv") for s in sizes}
    for name, n in sizes.items():
        df = tables[name]
        assert len(df) == n, name
        assert np.isfinite(df[["accuracy", "max_similarity", "min_l2"]].to_numpy()).all(), name
        assert df.accuracy.between(0, 100).all() and df.max_similarity.between(0, 1).all()
    tr = tables["training"]
    assert (tr.nearest_by_l2 != tr.model).all()
    # consecutive-step checkpoints: each one's nearest neighbour is a neighbouring step
    assert (abs(tr.nearest_by_l2 - tr.model) <= 2).mean() > 0.8
    # noise of std 0.12 on 4·8·4 = 128 raw values moves a vector by ≈ 0.12·√128 ≈ 1.36
    assert abs(tables["noise0.12"].min_l2.median() - 0.12 * 128 ** 0.5) < 0.4


def test_pdiff_logs_and_benchmarks(pdiff_run):
    logs = list((pdiff_run / "logs" / "pdiff").rglob("*.log"))
    assert len(logs) >= 15 and all(p.stat().st_size > 0 for p in logs)
    for stage in ("base", "collect", "sample"):
        assert (pdiff_run / "benchmarks" / "pdiff" / f"{stage}.tsv").is_file()


def test_paper_config_dry_run_includes_pdiff():
    out = subprocess.run(SNAKEMAKE + ["-n", "--configfile", "config/paper.yaml", "--cores", "8"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, env=ENV)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    for rule in ("pdiff_base", "pdiff_collect", "pdiff_fit", "pdiff_sample", "behaviour",
                 "pdiff_figure_tsne"):
        assert rule in out.stdout, rule

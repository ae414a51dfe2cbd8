"""End-to-end DAG tests on the tiny config (real snakemake runs, real outputs)."""
import re
import subprocess

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from dagrun import ENV, ROOT, SNAKEMAKE, run_snakemake

pytestmark = pytest.mark.slow  # real snakemake runs: the CI lane (make test), not make check

FIGS = ["heatmap", "min_distance_to_training", "decision_boundary", "performance_vs_novelty"]
STUDY_FIGS = ["heatmap", "min_distance_to_training", "model_outputs", "performance_vs_novelty"]


def smk(*args, results, check=True):
    return run_snakemake(["tests/config/tiny.yaml"], *args, results=results, check=check,
                         timeout=900)


@pytest.fixture(scope="module")
def tiny_run(tiny_gpt_run):
    return tiny_gpt_run  # conftest.py: one tiny G.pt run per session


def test_targeting_one_figure_plans_only_what_it_needs(tmp_path):
    results = tmp_path / "results"
    plan = smk("-n", f"{results}/figures/gpt/heatmap.png", results=results)
    assert "noise_baseline" not in plan.stdout and "figure_min_distance" not in plan.stdout
    assert "gpt_fit" in plan.stdout


def test_gpt_chain_produces_real_figures_and_tables(tiny_run):
    r = tiny_run
    for f in FIGS:
        png = r / "figures" / "gpt" / f"{f}.png"
        img = np.asarray(Image.open(png).convert("L"), dtype=float)
        assert img.shape[0] > 200 and img.std() > 10, f"{f} looks empty"
    tables = {s: pd.read_csv(r / "gpt" / "tables" / f"{s}.csv")
              for s in ("training", "generated", "noise0.05", "noise0.1")}
    assert len(tables["training"]) == 24
    assert len(tables["generated"]) == 5
    assert len(tables["noise0.05"]) == 10 and len(tables["noise0.1"]) == 10
    for name, df in tables.items():
        assert np.isfinite(df[["accuracy", "max_similarity", "min_l2"]].to_numpy()).all(), name
        assert df.accuracy.between(0, 100).all() and df.max_similarity.between(0, 1).all()
    tr = tables["training"]
    assert (tr.nearest_by_l2 != tr.model).all()  # self excluded
    assert tr.accuracy.mean() > 50  # the zoo learned something
    # noise of 0.05 normalised units stays much closer to training than models are to each other
    assert tables["noise0.05"].min_l2.median() < tr.min_l2.median()


def test_modeling_factors_table(tiny_run):
    # Snakemake merges tests/config/tiny.yaml over config/config.yaml (all nine factors); the
    # tiny config's gpt.run_factors runs two of them
    factors = yaml.safe_load((ROOT / "tests" / "config" / "tiny.yaml").read_text())["gpt"]["run_factors"]
    assert len(factors) == 2
    df = pd.read_csv(tiny_run / "tables" / "modeling_factors.csv")
    assert df.variant.tolist()[:2] == ["training", "default"]
    assert sorted(df.variant[2:]) == sorted(factors)
    label = dict(zip(df.variant, df.setting))
    assert label["epochs50"] == "training epochs 50.0%" and label["dim_head_up"] == "+dim & head"
    gen = df[df.variant != "training"]
    assert (gen.models == 5).all() and (df.models.iloc[0] == 24)
    # shorter training keeps the architecture; the wider model has more parameters
    p = dict(zip(gen.variant, gen.params))
    assert p["epochs50"] == p["default"] < p["dim_head_up"]
    assert np.isfinite(df[["accuracy", "min_l2", "max_similarity"]].to_numpy()).all()
    # each variant's row is the mean of its own per-model table
    own = pd.read_csv(tiny_run / "gpt" / "tables" / "generated-dim_head_up.csv")
    assert gen.set_index("variant").loc["dim_head_up", "min_l2"] == pytest.approx(
        own[~own.diverged].min_l2.mean())


def test_report_states_the_findings_from_the_tables(tiny_run):
    f = pd.read_csv(tiny_run / "tables" / "findings.csv")
    assert f.finding.tolist() == ["F1", "F3", "F4", "F5"] and (f.method == "gpt").all()
    assert f.holds.dtype == bool and f.evidence.str.len().gt(40).all()
    # F1 is the Z_U test of generated against held-out runs: 5 against 6 models is too few
    f1 = f.set_index("finding").loc["F1"]
    assert f1.verdict == "inconclusive" and not f1.holds and "too few models" in f1.evidence
    s = pd.read_csv(tiny_run / "tables" / "summary.csv").set_index("set")
    assert s.loc["heldout", "models"] == 6
    page = (tiny_run / "report.html").read_text()
    # the method's four figures, the study's four-panel ones (one panel here) and the
    # modeling-factors figure
    assert page.count("<img") == 9 and "figures/gpt/heatmap.png" in page
    assert "figures/model_outputs.png" in page and "figures/modeling_factors.png" in page
    assert "modeling_factors" in page and "The paper beside this run" in page


def test_study_figures_and_the_paper_beside_this_run(tiny_run):
    for f in STUDY_FIGS:
        img = np.asarray(Image.open(tiny_run / "figures" / f"{f}.png").convert("L"), dtype=float)
        assert img.shape[0] > 200 and img.std() > 10, f"{f} looks empty"
    c = pd.read_csv(tiny_run / "tables" / "paper_comparison.csv")
    assert (c.scale == "embedded").all() and set(c.method) == {"gpt"}
    assert set(c.table) == {"distance", "modeling_factors"}
    # this run's number is the mean min L2 of its generated models, beside the paper's 2.25
    d = c[c.table == "distance"].set_index("row")
    gen = pd.read_csv(tiny_run / "gpt" / "tables" / "generated.csv")
    assert d.loc["generated", "run"] == pytest.approx(gen[~gen.diverged].min_l2.mean())
    assert d.loc["generated", "paper_value"] == 2.25
    closer = d.loc["generated", "run"] < d.loc["training", "run"]
    assert d.loc["generated", "run_direction"] == ("<" if closer else ">")
    assert d.reproduced.iloc[0] == ("yes" if closer else "no")
    # the two variants that ran are compared; the seven others are not computed
    f = c[c.table == "modeling_factors"]
    ran = f[f.run.notna() & (f.quantity == "min_l2")].row.tolist()
    assert sorted(ran) == sorted(["training", "default", "epochs50", "dim_head_up"])


def test_logs_and_benchmarks_written(tiny_run):
    logs = list((tiny_run / "logs").rglob("*.log"))
    assert len(logs) >= 10 and all(p.stat().st_size > 0 for p in logs)
    assert (tiny_run / "benchmarks" / "gpt" / "generator" / "default.tsv").is_file()


def test_second_run_has_nothing_to_do(tiny_run):
    out = smk("-n", results=tiny_run)
    assert "Nothing to be done" in out.stdout + out.stderr


def test_a_changed_generator_value_reruns_exactly_its_descendants(tiny_run, tmp_path):
    # every rule gets its validated section and its seed through params: one changed G.pt
    # generator value puts the generators and what follows them in the plan, nothing upstream
    over = tmp_path / "lr.yaml"
    over.write_text("gpt:\n  generator:\n    lr: 0.00271\n")
    out = run_snakemake(["tests/config/tiny.yaml", over], "-n", results=tiny_run, timeout=300)
    plan = out.stdout
    rules = set(re.findall(r"^(?:local)?rule (\w+):", plan, re.M))
    assert "gpt_fit" in rules and "gpt_sample" in rules
    assert not rules & {"dataset", "gpt_zoo_shard", "gpt_zoo_merge", "gpt_training_set",
                        "noise_baseline"}, rules
    # the training set's behaviour and table stay as they are; the generated set's are redone
    outputs = " ".join(re.findall(r"^\s+output: (.*)$", plan, re.M))
    assert "gpt/tables/training.csv" not in outputs and "gpt/behaviour/training" not in outputs
    assert "gpt/tables/generated.csv" in outputs and "gpt/behaviour/generated" in outputs


def test_bad_config_fails_fast_naming_the_key(tmp_path):
    out = smk("-n", "--config", "seed=-3", results=tmp_path, check=False)
    assert out.returncode != 0 and "seed" in out.stdout + out.stderr


def test_lint_is_clean():
    out = subprocess.run(SNAKEMAKE + ["--lint"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, env=ENV)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text
    assert "Lints for" not in text, text


def test_paper_config_dry_runs():
    out = subprocess.run(SNAKEMAKE + ["-n", "--configfile", "config/paper.yaml", "--cores", "8"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, env=ENV)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "gpt_zoo_shard" in out.stdout

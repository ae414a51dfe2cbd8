"""The data-size experiment end to end on the tiny config (config/data-size.yaml over
tests/config/tiny.yaml): G.pt retrained on 1/4 and 1/2 of the training runs, the full size reused
from the default generator, one table and one figure."""
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from dagrun import run_snakemake

pytestmark = pytest.mark.slow

CONFIGS = ["tests/config/tiny.yaml", "config/data-size.yaml"]


def test_data_size_table_and_figure(tmp_path):
    results = tmp_path / "results"
    table, figure = results / "tables" / "data_size.csv", results / "figures/gpt/data_size.png"
    # not in the default DAG: without the overlay nothing of it is planned
    plain = run_snakemake(["tests/config/tiny.yaml"], "-n", results=results)
    assert "rule data_size" not in plain.stdout + plain.stderr
    plan = run_snakemake(CONFIGS, "-n", str(table), str(figure), results=results)
    out = plan.stdout + plan.stderr
    # two retrained sizes; the full size is the default generator (gpt_fit), not a third fit
    assert out.count("rule data_size_fit:") == 2 and out.count("rule gpt_fit:") == 1
    assert out.count("rule data_size_eval:") == 3
    # with the overlay the whole run (rule all) builds them and the report shows them
    whole = run_snakemake(CONFIGS, "-n", "--forceall", str(results / "report.html"), results=results)
    assert "rule data_size_figure:" in whole.stdout + whole.stderr
    assert "rule data_size_table:" in whole.stdout + whole.stderr
    default_tables = [str(results / f"gpt/tables/{s}.csv") for s in ("generated", "heldout")]
    run_snakemake(CONFIGS, str(table), str(figure), *default_tables, results=results,
                  timeout=1200)

    df = pd.read_csv(table)
    assert df["size"].tolist() == [0.25, 0.5, 1.0]
    assert df.training_runs.tolist() == [6, 12, 24]  # of tiny's 24 training runs
    assert (df.generated_models == 5).all() and (df.heldout_models == 6).all()
    for col in ("median_min_l2_generated", "median_min_l2_heldout", "median_min_l2_training",
                "mean_min_l2_generated", "min_l2_ratio", "z_u", "p_value", "closer_chance",
                "accuracy_generated", "accuracy_heldout"):
        assert np.isfinite(df[col]).all(), col
    assert (df.verdict == "inconclusive").all()  # 5 against 6 models: too few for the verdict
    assert np.allclose(df.min_l2_ratio, df.median_min_l2_generated / df.median_min_l2_heldout)
    # each size's training set is its own: the runs files are nested and sized
    runs = {s: set(pd.read_csv(results / f"gpt/data_size/{s}/runs.csv").run)
            for s in ("0.25", "0.5", "1")}
    assert runs["0.25"] < runs["0.5"] < runs["1"] and len(runs["1"]) == 24
    # the full size measures the default generator's samples against the whole training set:
    # the same distances as the default per-model table
    gen = pd.read_csv(results / "gpt/tables/generated.csv")
    assert df.median_min_l2_generated.iloc[-1] == pytest.approx(gen.min_l2.median(), rel=1e-5)
    held = pd.read_csv(results / "gpt/tables/heldout.csv")
    assert df.median_min_l2_heldout.iloc[-1] == pytest.approx(held.min_l2.median(), rel=1e-5)
    # the retrained generators saw only their runs (logged) and sampled the same prompts
    models = pd.read_csv(results / "gpt/data_size/0.25/models.csv")
    g = models[models.set == "generated"]
    assert g.run.tolist() == gen.prompt_run.tolist()
    assert set(models[models.set == "training"].run) == runs["0.25"]
    img = np.asarray(Image.open(figure).convert("L"), dtype=float)
    assert img.shape[0] > 500 and img.std() > 10

"""No finding on one seed: `weightmem seeds` on the tiny config with two seeds runs the DAG into
<results>/seed0 and <results>/seed1 and reports every finding per seed (rule seeds_report)."""
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from dagrun import ENV, ROOT, run_snakemake
from weightmem.io import load_weightset

pytestmark = pytest.mark.slow


def test_two_seeds_each_finding_per_seed(tmp_path):
    results = tmp_path / "results"
    over = tmp_path / "seeds.yaml"
    # two seeds; no modeling-factor variants (F5 is then not stated) to keep it short
    over.write_text(f"results: {results}\nseeds: [0, 1]\ngpt:\n  run_factors: []\n")
    configs = ["tests/config/tiny.yaml", str(over)]
    # the report before the seeds ran: a message naming the command, not a bare missing file
    early = run_snakemake(configs, "-n", f"{results}/seeds.html", results=results, check=False)
    assert early.returncode != 0 and "weightmem seeds" in early.stdout + early.stderr
    cmd = [sys.executable, "-m", "weightmem.cli", "seeds", "--configfile", *configs,
           "--cores", "2"]
    out = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]

    for s in (0, 1):  # each seed's whole run in its own folder, with its own seed
        assert (results / f"seed{s}" / "report.html").is_file()
        log = (results / f"seed{s}" / "logs" / "gpt" / "generator" / "default.log").read_text()
        assert f"seed {s}," in log
    # new zoos per seed: no model of seed 1's runs is one of seed 0's (with run seeds only 1
    # apart, most of them were)
    w = {(s, part): load_weightset(results / f"seed{s}" / "gpt" / "weights"
                                   / f"{part}.safetensors").weights
         for s in (0, 1) for part in ("training", "heldout")}
    seed0 = torch.cat([w[0, "training"], w[0, "heldout"]])
    for part in ("training", "heldout"):
        assert torch.cdist(w[1, part], seed0).min() > 1e-3, part
    per = {s: pd.read_csv(results / f"seed{s}" / "tables" / "findings.csv") for s in (0, 1)}
    long = pd.read_csv(results / "tables" / "findings_by_seed.csv")
    assert sorted(long.seed.unique()) == [0, 1]
    over_df = pd.read_csv(results / "tables" / "findings_across_seeds.csv").set_index("finding")
    assert over_df.index.tolist() == ["F1", "F3", "F4"] and (over_df.method == "gpt").all()
    for f, r in over_df.iterrows():
        holds = [bool(per[s].set_index("finding").loc[f, "holds"]) for s in (0, 1)]
        assert [r.holds_seed0, r.holds_seed1] == holds
        assert r.holds_in == sum(holds) and r.holds_in_all_seeds == all(holds)
        assert r.status.startswith("holds in")
    assert over_df.loc["F1", "z_u_seed0"] == pytest.approx(
        per[0].set_index("finding").loc["F1", "z_u"])
    nums = pd.read_csv(results / "tables" / "numbers_by_seed.csv").set_index("set")
    g = nums.loc["generated"]
    assert np.isfinite([g.median_min_l2_seed0, g.median_min_l2_seed1, g.quality_mean]).all()
    assert g.median_min_l2_seed0 != g.median_min_l2_seed1  # the seeds really differ
    page = (results / "seeds.html").read_text()
    assert "Findings over 2 seeds (0, 1)" in page and "seed0/report.html" in page

"""bench/gpu_regime.sh (G.pt with config/gpt-gpu.yaml on one GPU) and weightmem.regime, which
prints the copying finding's numbers from a results folder. Without a GPU the script must stop
with a message; --cpu-smoke runs it on a tiny config (slow)."""
import os
import re
import subprocess
import sys

import pandas as pd
import pytest
import torch
import yaml

from dagrun import ROOT
from weightmem import regime
from weightmem.config import validate

SCRIPT = ROOT / "bench" / "gpu_regime.sh"


def run(*args, **env):
    e = {k: v for k, v in os.environ.items() if k != "WEIGHTMEM_CPU_SMOKE"}
    e.update({"PYTHON": sys.executable, "CORES": "2", **env})
    return subprocess.run([str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True,
                          env=e, timeout=1200)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_without_cuda_it_stops_with_a_message_and_writes_nothing(tmp_path):
    out = run(RESULTS=str(tmp_path / "r"))
    assert out.returncode == 3, out.stderr
    assert "no CUDA device" in out.stderr and "--cpu-smoke" in out.stderr
    assert not (tmp_path / "r").exists()
    bad = run("--fast")
    assert bad.returncode == 2 and "unknown argument" in bad.stderr


def test_the_overlay_has_the_judgement_sizes_and_validates():
    over = yaml.safe_load((ROOT / "config" / "gpt-gpu.yaml").read_text())
    g = over["gpt"]["generator"]
    assert (g["width"], g["depth"], g["heads"]) == (256, 4, 4) and 30_000 <= g["steps"] <= 100_000
    assert over["methods"] == ["gpt"] and over["device"] in ("cuda", "auto")
    assert over["results"] != "results"  # its own folder
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    for f in ("gpt-gpu.yaml",):
        _merge(cfg, yaml.safe_load((ROOT / "config" / f).read_text()))
    cfg = validate(cfg, ROOT / "config" / "schema.yaml")
    assert cfg["gpt"]["modeling_factors"] == {}  # run_factors: [] — no variant fits


def _merge(a, b):
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(a.get(k), dict):
            _merge(a[k], v)
        else:
            a[k] = v


def _tables(root, gen_l2):
    t = root / "gpt" / "tables"
    t.mkdir(parents=True)
    n = 10
    mk = lambda l2, acc: pd.DataFrame({"accuracy": [acc] * n, "max_similarity": [0.5] * n,
                                       "min_l2": l2, "diverged": [False] * n})
    mk([9.0 + 0.1 * i for i in range(n)], 95.0).to_csv(t / "training.csv", index=False)
    mk(gen_l2, 60.0).to_csv(t / "generated.csv", index=False)
    mk([9.05 + 0.1 * i for i in range(n)], 95.0).to_csv(t / "heldout.csv", index=False)


def test_regime_prints_the_numbers_of_the_tables(tmp_path, capsys):
    _tables(tmp_path, [0.5 + 0.01 * i for i in range(10)])
    d = regime.finding(tmp_path)
    assert d["sets"]["generated"]["median_min_l2"] == pytest.approx(0.545)
    assert d["sets"]["heldout"]["mean_min_l2"] == pytest.approx(9.5)
    assert d["copying"]["verdict"] == "copies" and d["copying"]["z_u"] < -3
    assert regime.main([str(tmp_path), "--seconds", "42"]) == 0
    text = capsys.readouterr().out
    assert "-> copies" in text and "whole chain: 42 s" in text
    assert re.search(r"generated\s+10\s+0\.545", text)
    assert regime.main([str(tmp_path / "nothing")]) == 1


@pytest.mark.slow
def test_cpu_smoke_runs_the_chain_and_prints_the_finding(tmp_path):
    results = tmp_path / "smoke"
    out = run("--cpu-smoke", RESULTS=str(results))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    text = out.stdout
    assert "CPU smoke run" in text
    gen = pd.read_csv(results / "gpt" / "tables" / "generated.csv")
    held = pd.read_csv(results / "gpt" / "tables" / "heldout.csv")
    assert len(gen) == 10 and len(held) == 10  # the smoke overlay: 10 prompts, 10 held-out runs
    m = re.search(r"^generated\s+10\s+(\S+)\s+(\S+)\s+(\S+)", text, re.M)
    assert m and float(m.group(1)) == pytest.approx(gen.min_l2.median(), rel=1e-3)
    assert float(m.group(3)) == pytest.approx(gen.accuracy.mean(), rel=1e-3)
    z = re.search(r"Z_U = (-?[0-9.]+), p = \S+, A = [0-9.]+ -> (copies|does-not-copy|inconclusive)",
                  text)
    assert z, text
    f1 = pd.read_csv(results / "tables" / "findings.csv").set_index("finding").loc["F1"]
    assert float(z.group(1)) == pytest.approx(f1.z_u, abs=1e-3) and z.group(2) == f1.verdict
    assert re.search(r"generator: 40 steps, .* ms/step", text)
    assert (results / "report.html").is_file()
    assert not (results / "gpt" / "generator" / "epochs50").exists()  # no factor variants

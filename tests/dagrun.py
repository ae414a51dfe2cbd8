"""Running snakemake as a subprocess for the DAG tests: one helper, one environment."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
# jobs import the library of *this* checkout (not another worktree's editable install)
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "workflow" / "scripts"), "WEIGHTMEM_NO_PROGRESS": "1"}


def run_snakemake(configfiles, *args, results, check=True, timeout=1800):
    """``snakemake --configfile ... --config results=... --cores 2 ARGS`` from the repo root;
    with ``check`` a non-zero exit fails the test with the tail of snakemake's output."""
    cmd = SNAKEMAKE + ["--configfile", *map(str, configfiles), "--config", f"results={results}",
                       "--cores", "2", *args]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=ENV)
    if check and out.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{out.stdout[-3000:]}\n"
                             f"{out.stderr[-3000:]}")
    return out


# the configs of the DAG runs that conftest.py shares between test files
TINY_GPT = ["tests/config/tiny.yaml"]
TINY_FACTORS = ["tests/config/tiny-hyperrep.yaml", "tests/config/tiny_hyperdiffusion.yaml",
                "tests/config/tiny-factors.yaml"]


def factor_targets(results) -> list[str]:
    """The two analysis figures of the tiny modeling-factors run (not all of them are in `all`)."""
    return [f"{results}/figures/modeling_factors.png",
            f"{results}/figures/hyperdiffusion/permutation_augmentation.png"]

import os
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))
os.environ.setdefault("WEIGHTMEM_NO_PROGRESS", "1")
torch.set_num_threads(2)


@pytest.fixture
def root() -> Path:
    return ROOT


# Lines a test wants in CI's log even when it passes (e.g. which jobs ran under SLURM):
# tests append to the `summary` fixture; they are printed in a section at the end of the run.
_SUMMARY = pytest.StashKey[list]()


@pytest.fixture
def summary(request) -> list:
    return request.config.stash.setdefault(_SUMMARY, [])


def pytest_terminal_summary(terminalreporter, config):
    lines = config.stash.get(_SUMMARY, [])
    if lines:
        terminalreporter.section("weightmem")
        for line in lines:
            terminalreporter.write_line(line)


# ---- DAG runs shared by several slow test files (each is minutes of CI on 2 cores): one run per
# session, read-only for the tests that use it (dry-runs in its folder are fine, writes are not)


@pytest.fixture(scope="session")
def tiny_gpt_run(tmp_path_factory) -> Path:
    """The tiny G.pt DAG, whole (``snakemake --configfile tests/config/tiny.yaml``): test_dag reads
    it, test_resume compares reruns with it, test_slurm compares the SLURM run with it."""
    from dagrun import TINY_GPT, run_snakemake

    results = tmp_path_factory.mktemp("tiny") / "results"
    run_snakemake(TINY_GPT, results=results, timeout=900)
    return results


@pytest.fixture(scope="session")
def tiny_factors_run(tmp_path_factory) -> Path:
    """Hyper-Rep and HyperDiffusion on their tiny configs with the tiny modeling factors and
    permutation augmentation (tests/config/tiny-factors.yaml): the whole DAG plus the two
    analysis figures, read by test_hyperrep_dag, test_dag_hyperdiffusion and test_factors_dag."""
    from dagrun import TINY_FACTORS, factor_targets, run_snakemake

    results = tmp_path_factory.mktemp("tiny-factors") / "results"
    run_snakemake(TINY_FACTORS, "all", f"{results}/hyperdiffusion/tables/summary.csv",
                  *factor_targets(results), results=results, timeout=1500)
    return results

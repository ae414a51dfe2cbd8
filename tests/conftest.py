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

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

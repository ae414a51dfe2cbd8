"""Device choice, seeding, logging and progress bars: the habits every stage shares."""
from __future__ import annotations

import atexit
import logging
import os
import random
import sys
from pathlib import Path

import numpy as np
import torch


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` = CUDA when present, CPU otherwise; ``cpu``/``cuda`` force one."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"config asks for device '{name}' but CUDA is not available here")
    return torch.device(name)


def seed_everything(seed: int) -> torch.Generator:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def set_threads(n: int | None) -> None:
    if n:
        torch.set_num_threads(int(n))


_ALLOCATOR_TUNED = False


def keep_freed_memory(top_pad_mb: int = 64, trim_mb: int = 256) -> bool:
    """Ask glibc's malloc to keep freed memory instead of handing it back to the OS.

    Batched zoo training allocates and frees the same multi-megabyte activations every step; by
    default glibc serves such blocks with fresh ``mmap`` pages (or trims the heap after each
    free), so every step pays page faults on first touch — measured as a zero-fill of a 9 MB
    gradient taking 2 ms. Raising the mmap/trim thresholds makes those blocks reusable heap
    memory (at most ``trim_mb`` of idle memory stays with the process). Process-wide, idempotent;
    a no-op (returns False) where glibc's ``mallopt`` is unavailable."""
    global _ALLOCATOR_TUNED
    if _ALLOCATOR_TUNED:
        return True
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
    ok = (mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1  # glibc's maximum
          and mallopt(M_TRIM_THRESHOLD, trim_mb << 20) == 1
          and mallopt(M_TOP_PAD, top_pad_mb << 20) == 1)
    _ALLOCATOR_TUNED = ok
    return ok


def get_logger(name: str, logfile: str | None = None) -> logging.Logger:
    """Readable logs to stderr and (when given) to the rule's log file."""
    log = logging.getLogger(name)
    log.setLevel(logging.INFO)
    log.handlers.clear()
    fmt = logging.Formatter("%(asctime)s %(levelname)s [%(name)s] %(message)s", "%H:%M:%S")
    h = logging.StreamHandler(sys.stderr)
    h.setFormatter(fmt)
    log.addHandler(h)
    if logfile:
        os.makedirs(os.path.dirname(logfile) or ".", exist_ok=True)
        fh = logging.FileHandler(logfile, mode="w")
        fh.setFormatter(fmt)
        log.addHandler(fh)
    for key in ("SLURM_JOB_ID", "SLURM_JOB_NODELIST"):
        if key in os.environ:
            log.info("%s=%s", key, os.environ[key])
    return log


def progress(iterable=None, **kw):
    """tqdm progress bar on stderr (the rule's log), quiet when WEIGHTMEM_NO_PROGRESS is set."""
    from tqdm.auto import tqdm

    kw.setdefault("mininterval", 2.0)
    kw.setdefault("file", sys.stderr)
    kw.setdefault("disable", bool(os.environ.get("WEIGHTMEM_NO_PROGRESS")))
    return tqdm(iterable, **kw)


class ScriptContext:
    """What every workflow script needs: logger, device, seed; stderr goes to the rule's log."""

    def __init__(self, smk, name: str) -> None:
        log_path = smk.log[0] if len(smk.log) else None
        if log_path:
            os.makedirs(os.path.dirname(log_path) or ".", exist_ok=True)
            stream = open(log_path, "a", buffering=1)
            console = sys.stderr
            sys.stderr = stream  # progress bars and tracebacks land in the rule's log

            def hook(kind, value, tb):  # full traceback in the log, the one-line reason on screen
                sys.__excepthook__(kind, value, tb)
                print(f"weightmem: rule {smk.rule} failed: {kind.__name__}: {value} "
                      f"(details: {log_path})", file=console)

            sys.excepthook = hook
        self.log = get_logger(name)
        cfg = smk.config
        # torch threads = the CPUs Snakemake gave this job (capped by the config's `threads`)
        set_threads(min(int(getattr(smk, "threads", 1) or 1), int(cfg.get("threads", 1 << 10))))
        self.device = resolve_device(cfg.get("device", "auto"))
        # the stage's seed comes through params (config seed + its offset, weightmem.seeds), so a
        # changed seed reruns exactly the jobs it feeds
        params = getattr(smk, "params", None)
        self.seed = int(params.seed) if params is not None and "seed" in params.keys() \
            else int(cfg.get("seed", 0))
        self.log.info("rule %s on %s, seed %d, torch threads %d", smk.rule, self.device,
                      self.seed, torch.get_num_threads())
        atexit.register(log_peak_memory, self.log)


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB: the kernel's high-water mark of its own memory
    (VmHWM). Not ru_maxrss where /proc is there: Linux carries the parent's high-water mark
    across fork + exec into it (bench/audit.py measured 3.1 GB for a 0.7 GB audit whose parent
    had held 2.3 GB)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def log_peak_memory(log: logging.Logger) -> None:
    """The job's true peak memory, logged at exit: the kernel's RSS high-water mark (Snakemake's
    benchmark ``max_rss`` polls every 30 s after the first 15 s and misses short peaks), and on
    CUDA the most GPU memory torch allocated. The compute plan (bench/compute_plan.py) reads it."""
    peak_mb = peak_rss_mb()
    gpu = ""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        gpu = f", GPU {torch.cuda.max_memory_allocated() / 2**20:.0f} MB allocated"
    log.info("peak memory: %.0f MB RSS%s", peak_mb, gpu)


def script(smk, name: str):
    """Decorator-free entry point: ``ctx = script(snakemake, __name__)``."""
    return ScriptContext(smk, name)

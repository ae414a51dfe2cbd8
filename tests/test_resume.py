"""A killed run resumes with the same command; two clean runs give the same bytes.

The slow tests run the tiny G.pt DAG (tests/config/tiny.yaml, ~1.5 min on 2 cores) several times
from the repository root, as a user would: a clean run, a second clean run compared byte for byte
(logs and benchmarks excepted), and a run killed with SIGKILL (the whole process group: snakemake
and its jobs) at three moments — during a job, right after a job renamed its output into place
(before snakemake marked it complete), during the report — each time restarted with the very
same command, until it finishes and equals the clean run. The fast tests check the lock clearing
itself with stand-in processes.
"""
from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from dagrun import ENV, ROOT, SNAKEMAKE

TINY = ROOT / "tests" / "config" / "tiny.yaml"
SKIP = ("logs", "benchmarks")


def command(results: Path) -> list[str]:
    """The documented plain command, pointed at the tiny config and a results folder."""
    return SNAKEMAKE + ["--configfile", str(TINY), "--config", f"results={results}", "--cores", "2"]


def outputs(results: Path) -> dict[str, bytes]:
    return {str(p.relative_to(results)): p.read_bytes() for p in sorted(results.rglob("*"))
            if p.is_file() and p.relative_to(results).parts[0] not in SKIP}


def lock_files() -> list[Path]:
    d = ROOT / ".snakemake" / "locks"
    return sorted(d.glob("*.lock")) if d.is_dir() else []


def incomplete_markers() -> set[str]:
    """Outputs snakemake has marked as being written (its .snakemake/incomplete records)."""
    d = ROOT / ".snakemake" / "incomplete"
    out = set()
    for p in d.rglob("*") if d.is_dir() else []:
        if p.is_file() and p.name != "migration_underway":
            enc = "".join(part.lstrip("@") for part in p.relative_to(d).parts)
            try:
                out.add(base64.urlsafe_b64decode(enc).decode())
            except ValueError:
                continue
    return out


def run(results: Path, timeout: float = 1200) -> subprocess.CompletedProcess:
    return subprocess.run(command(results), cwd=ROOT, env=ENV, capture_output=True, text=True,
                          timeout=timeout)


def start(results: Path) -> subprocess.Popen:
    return subprocess.Popen(command(results), cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def kill_when(proc: subprocess.Popen, ready, timeout: float = 900, poll: float = 0.002) -> None:
    """SIGKILL the whole process group as soon as ``ready()`` is true."""
    t0 = time.monotonic()
    while not ready():
        assert proc.poll() is None, f"the run ended before the moment to kill it:\n" \
                                    f"{proc.stderr.read()[-3000:]}"
        assert time.monotonic() - t0 < timeout, "the moment to kill never came"
        time.sleep(poll)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()


@pytest.fixture(scope="module")
def clean(tiny_gpt_run):
    """A clean run of the same command (conftest.py: the session's tiny G.pt run)."""
    return tiny_gpt_run


@pytest.mark.slow
def test_two_clean_runs_are_byte_identical(clean, tmp_path):
    again = tmp_path / "results"
    out = run(again)
    assert out.returncode == 0, out.stderr[-3000:]
    a, b = outputs(clean), outputs(again)
    assert sorted(a) == sorted(b)
    assert len(a) > 25 and any(k.endswith(".safetensors") for k in a)
    differ = [k for k in a if a[k] != b[k]]
    assert not differ, f"outputs differ between two clean runs: {differ}"
    modes = {k: (clean / k).stat().st_mode & 0o777 for k in a}
    umask = os.umask(0)
    os.umask(umask)
    assert set(modes.values()) == {0o666 & ~umask}, modes


@pytest.mark.slow
def test_a_killed_run_resumes_with_the_same_command(clean, tmp_path):
    results = tmp_path / "results"
    # 1. during a job: a zoo shard has started writing its log
    proc = start(results)
    kill_when(proc, lambda: any((results / "logs" / "gpt" / "zoo").glob("shard*.log")))
    assert lock_files(), "a killed run leaves its locks (else this tests nothing)"

    # 2. right after a job renamed its output into place, before snakemake marked it complete
    target = results / "gpt" / "weights" / "training.safetensors"
    proc = start(results)
    kill_when(proc, target.exists)
    assert lock_files()
    assert str(target) in incomplete_markers(), "the kill did not land between rename and record"

    # 3. during the report
    proc = start(results)
    kill_when(proc, (results / "logs" / "analysis" / "report.log").exists)
    assert lock_files()

    # the same command again: no LockException, no IncompleteFilesException
    out = run(results)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "stale lock" in out.stderr
    assert not lock_files()
    a, b = outputs(results), outputs(clean)
    assert sorted(a) == sorted(b), (f"only in the resumed run: {sorted(set(a) - set(b))}; "
                                    f"only in the clean run: {sorted(set(b) - set(a))}")
    differ = [k for k in a if a[k] != b[k]]
    assert not differ, f"the resumed run differs from the clean run in {differ}"
    assert "Nothing to be done" in run(results).stderr  # and then it is finished


# ---------------------------------------------------------------------------- the lock clearing
def _fake_locks(workdir: Path) -> list[Path]:
    d = workdir / ".snakemake" / "locks"
    d.mkdir(parents=True)
    locks = [d / "0.input.lock", d / "0.output.lock"]
    for p in locks:
        p.write_text(str(workdir / "results" / "x") + "\n")
    return locks


def _stand_in(argv0: str, cwd: Path) -> subprocess.Popen:
    """A process that looks like ``argv0 …`` to /proc, working in ``cwd``."""
    return subprocess.Popen(["bash", "-c", f"exec -a {argv0} sleep 60"], cwd=cwd)


def _wait_exec(proc: subprocess.Popen, argv0: str) -> None:
    for _ in range(500):
        try:
            if Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")[0] == argv0.encode():
                return
        except OSError:
            pass
        time.sleep(0.01)
    raise AssertionError("stand-in process did not start")


@pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="needs /proc")
def test_locks_of_a_dead_run_are_cleared_and_a_live_runs_are_kept(tmp_path):
    from weightmem.locks import clear_stale_locks, record_run

    locks = _fake_locks(tmp_path)
    said = []
    live = _stand_in("snakemake", tmp_path)  # another snakemake working in this folder
    elsewhere = _stand_in("snakemake", ROOT)  # one working in another folder does not count
    wrapper = _stand_in("timeout", tmp_path)  # a non-snakemake process here does not either
    try:
        for p in (live, elsewhere, wrapper):
            _wait_exec(p, "snakemake" if p is not wrapper else "timeout")
        assert clear_stale_locks(tmp_path, log=said.append) == []
        assert all(p.exists() for p in locks) and str(live.pid) in said[-1]
    finally:
        live.kill()
        live.wait()
    try:
        record_run(tmp_path)
        assert clear_stale_locks(tmp_path, log=said.append) == locks
        assert not any(p.exists() for p in locks) and "stale" in said[-1]
        assert clear_stale_locks(tmp_path, log=said.append) == []  # nothing left to do
    finally:
        for p in (elsewhere, wrapper):
            p.kill()
            p.wait()


@pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="needs /proc")
def test_a_dead_runs_partial_files_go_with_its_locks(tmp_path):
    """A SIGKILL during an atomic write leaves `.<output>.partial-*` beside the output; the next
    run removes it together with the stale locks (a live run's are never touched)."""
    from weightmem.io import atomic_path
    from weightmem.locks import clear_stale_locks, record_run

    results = tmp_path / "results"
    out = results / "gpt" / "weights" / "training.safetensors"
    with pytest.raises(KeyboardInterrupt):  # stands in for the kill: the block never finishes
        with atomic_path(out) as tmp:
            tmp.write_bytes(b"half")
            left = tmp.with_name(tmp.name.replace("partial-", "partial-x"))
            left.write_bytes(b"half")  # a copy the cleanup in atomic_path does not know about
            raise KeyboardInterrupt
    keep = [results / "gpt" / ".hidden", results / "gpt" / "weights" / "notes.partial.txt"]
    for p in keep:
        p.write_text("not ours")
    assert left.exists() and not out.exists()
    _fake_locks(tmp_path)
    record_run(tmp_path)
    said = []
    assert clear_stale_locks(tmp_path, log=said.append, results="results")
    assert not left.exists() and all(p.exists() for p in keep)
    assert "partly written" in said[-1] and left.name in said[-1]


def test_locks_from_another_host_are_left_alone(tmp_path):
    from weightmem.locks import RUN_RECORD, clear_stale_locks

    locks = _fake_locks(tmp_path)
    (tmp_path / ".snakemake" / RUN_RECORD).write_text(
        '{"host": "not-' + socket.gethostname() + '", "pid": 1}')
    said = []
    assert clear_stale_locks(tmp_path, log=said.append) == []
    assert all(p.exists() for p in locks) and "--unlock" in said[-1]


def test_which_processes_count_as_snakemake():
    from weightmem.locks import _is_snakemake

    yes = [["snakemake", "-c2"], ["/x/.venv/bin/python3", "/x/.venv/bin/snakemake", "-c2"],
           ["python", "-m", "snakemake", "-n"], ["python3.11", "-u", "-m", "snakemake"],
           ["/usr/bin/snakemake"]]
    no = [["timeout", "600", "snakemake"], ["python", "/x/.snakemake/scripts/tmpab.gpt_zoo.py"],
          ["python", "-m", "pytest", "snakemake"], ["make", "run"], []]
    assert all(_is_snakemake(a) for a in yes) and not any(_is_snakemake(a) for a in no)

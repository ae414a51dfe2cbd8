"""Resuming after a killed run: Snakemake's stale directory locks, cleared only when provably stale.

Snakemake locks the working directory (``.snakemake/locks/<n>.{input,output}.lock``) while it
runs and removes the locks when it ends. A run killed with ``kill -9`` (or by the OOM killer, or a
lost terminal) leaves them behind, and the next ``snakemake`` refuses to start
(``LockException``) until someone runs ``snakemake --unlock``. The locks record no process, so
the workflow decides at parse time, in the main snakemake process only:

* the last run that started here wrote ``.snakemake/weightmem-run.json`` (host and PID);
* the locks are stale when that run was on this host and no snakemake process on this host has
  this folder as its working directory (``/proc/<pid>/cwd``) — then they are removed and the run
  goes on (outputs the dead run left incomplete are redone: ``rerun-incomplete`` in the workflow
  profile, ``profiles/default``);
* with the locks go the temporary files of outputs the dead run was writing
  (``.<output>.partial-*`` beside them, see ``weightmem.io.atomic_path``) under its results folder;
* otherwise (another snakemake works here, ``/proc`` cannot tell, or the last run was started on
  another host, e.g. another login node of a cluster) nothing is touched and Snakemake's own
  message stands.
"""
from __future__ import annotations

import json
import os
import re
import socket
from pathlib import Path
from typing import Callable

LOCK_NAME = re.compile(r"^[0-9]+\.(input|output)\.lock$")
RUN_RECORD = "weightmem-run.json"


def _is_snakemake(args: list[str]) -> bool:
    """``snakemake …``, ``python …/snakemake …`` or ``python -m snakemake …`` (not wrappers such
    as ``timeout snakemake``, nor job scripts under ``.snakemake/scripts/``)."""
    if not args:
        return False
    if os.path.basename(args[0]) == "snakemake":
        return True
    if os.path.basename(args[0]).startswith("python"):
        for i, a in enumerate(args[1:], 1):
            if a == "-m":
                return args[i + 1:i + 2] == ["snakemake"]
            if not a.startswith("-"):  # the script python runs
                return os.path.basename(a) == "snakemake"
    return False


def snakemakes_in(workdir: Path, proc: Path = Path("/proc")) -> list[int] | None:
    """PIDs of live snakemake processes other than this one whose working directory is
    ``workdir``; None when ``/proc`` is not there to ask. A process whose working directory
    cannot be read is counted (it might be working here)."""
    if not proc.is_dir():
        return None
    target = os.path.realpath(workdir)
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            args = [a.decode(errors="replace")
                    for a in (entry / "cmdline").read_bytes().split(b"\0") if a]
            if not _is_snakemake(args):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if state in ("Z", "X"):  # exited, not yet reaped
                continue
            cwd = os.readlink(entry / "cwd")
        except PermissionError:
            found.append(int(entry.name))
            continue
        except (OSError, IndexError):  # the process ended while we looked
            continue
        if os.path.realpath(cwd) == target:
            found.append(int(entry.name))
    return found


def record_run(workdir: Path | str = ".") -> None:
    """Note which host and process runs the workflow here (called when a run starts)."""
    path = Path(workdir) / ".snakemake" / RUN_RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{RUN_RECORD}.{os.getpid()}")
    tmp.write_text(json.dumps({"host": socket.gethostname(), "pid": os.getpid()}))
    os.replace(tmp, path)


def remove_partial_files(results: Path | str) -> list[Path]:
    """Delete the temporary files of interrupted atomic writes under ``results`` (only call when
    no run can be writing there); returns them."""
    from weightmem.io import PARTIAL

    root = Path(results)
    found = sorted(p for p in root.rglob(".*") if p.is_file() and PARTIAL.match(p.name)) \
        if root.is_dir() else []
    for p in found:
        p.unlink(missing_ok=True)
    return found


def clear_stale_locks(workdir: Path | str = ".", log: Callable[[str], None] = print,
                      proc: Path = Path("/proc"), results: Path | str | None = None) -> list[Path]:
    """Remove the directory locks of a dead run and, when ``results`` is given, the partial
    files it left there (see the module text); returns the locks it removed."""
    workdir = Path(workdir)
    lockdir = workdir / ".snakemake" / "locks"
    locks = sorted(p for p in lockdir.iterdir() if LOCK_NAME.match(p.name)) \
        if lockdir.is_dir() else []
    if not locks:
        return []
    try:
        last = json.loads((workdir / ".snakemake" / RUN_RECORD).read_text())
    except (OSError, ValueError):
        last = {}
    host = socket.gethostname()
    if last.get("host", host) != host:
        log(f"weightmem: .snakemake/locks was left by a run started on host {last['host']}; "
            f"if no snakemake runs there any more, clear it with `snakemake --unlock`")
        return []
    live = snakemakes_in(workdir, proc)
    if live is None:
        return []
    if live:
        log(f"weightmem: snakemake process(es) {live} work in this folder; their locks stay")
        return []
    for p in locks:
        p.unlink(missing_ok=True)
    log(f"weightmem: removed {len(locks)} stale lock file(s) of a snakemake run that is no "
        f"longer running (.snakemake/locks); outputs it left incomplete are rerun")
    if results is not None:
        partial = remove_partial_files(Path(workdir) / results)
        if partial:
            log(f"weightmem: removed {len(partial)} partly written file(s) it left: "
                f"{', '.join(str(p) for p in partial[:5])}{' …' if len(partial) > 5 else ''}")
    return locks

"""The cluster path: profiles/slurm on a real SLURM controller (not a mock).

CI starts a single-node cluster with .ci/slurm-setup.sh; the tiny config then runs through
tests/profiles/slurm-test, which the real profile is used *with* (same executor, plugin and
resource declarations). Every cluster job must have run as a SLURM job and every output must
equal that of a plain local run. Without SLURM (a laptop) those tests skip with the reason; under
CI=true they fail instead, so CI cannot pass by skipping them.

The profile checks at the top need no cluster.
"""
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "profiles" / "slurm" / "config.yaml"
TEST_PROFILE = ROOT / "tests" / "profiles" / "slurm-test" / "config.yaml"
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "workflow" / "scripts"),
       "WEIGHTMEM_NO_PROGRESS": "1"}
for _k in ("WEIGHTMEM_SLURM_PARTITION", "WEIGHTMEM_SLURM_ACCOUNT", "WEIGHTMEM_SLURM_GPU_MODEL"):
    ENV.pop(_k, None)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# conda is what the real profile deploys with; a machine without conda (this CI) can still plan
# the DAG when the deployment method is swapped for one that is a no-op here (no rule declares
# envmodules). The test profile makes the same swap.
NO_CONDA = [] if shutil.which("conda") else ["--sdm", "env-modules"]


def profile_yaml(path):
    return yaml.safe_load(path.read_text())


# ---------------------------------------------------------------- the profiles, statically

def test_profile_is_snakemake8_slurm_at_paper_scale():
    p = profile_yaml(PROFILE)
    assert p["executor"] == "slurm"
    assert p["configfile"] == ["config/paper.yaml"]
    assert p["software-deployment-method"] == ["conda"]
    assert p["rerun-incomplete"] is True and p["latency-wait"] >= 30 and p["jobs"] >= 1
    res = p["default-resources"]
    assert {"mem_mb", "runtime", "cpus_per_task"} <= res.keys()
    text = PROFILE.read_text()
    # nothing site-specific: partition/account/GPU type only from the user's environment
    for key in ("slurm_partition", "slurm_account", "gpu_model"):
        assert re.search(rf"^\s+{key}: \?", text, re.M), f"{key} should come from the environment"
    # a rule's GPU need lives in the rule, not in a list of rules here
    assert "set-resources" not in p


def test_test_profile_differs_only_in_config_polling_and_sdm():
    t = profile_yaml(TEST_PROFILE)
    allowed = {"configfile", "slurm-status-command", "slurm-init-seconds-before-status-checks",
               "seconds-between-status-checks", "software-deployment-method"}
    assert set(t) <= allowed, f"test profile overrides more than it may: {set(t) - allowed}"
    assert t["slurm-status-command"] == "squeue"  # sacct hangs without an accounting database
    assert t["configfile"] == ["tests/config/tiny.yaml"]


def test_plugin_turns_the_gpu_resource_into_gpus():
    """The keys the rules and profile use are the ones the plugin reads (gpu, gpu_model)."""
    from snakemake_executor_plugin_slurm.utils import set_gres_string

    class Res(dict):
        __getattr__ = dict.__getitem__

    class Job:
        def __init__(self, **r):
            self.resources = Res(r)

    assert set_gres_string(Job(gpu=1)).strip() == "--gpus=1"
    assert set_gres_string(Job(gpu=0)) == ""  # profile default: CPU jobs ask for no GPU
    assert set_gres_string(Job(gpu=2, gpu_model="a100")).strip() == "--gpus=a100:2"


def test_partition_example_is_read_by_the_plugin():
    from snakemake_executor_plugin_slurm.partitions import read_partition_file

    parts = {p.name: p for p in read_partition_file(PROFILE.parent / "partitions.example.yaml")}
    assert parts["gpu"].limits.max_gpu >= 1 and parts["cpu"].limits.max_gpu == 0


def test_the_default_profile_does_not_override_the_cluster_one():
    # Snakemake loads profiles/default/ by itself and it wins key by key over --profile: it may
    # only hold what the cluster profile sets the same way (resuming after a kill)
    default = yaml.safe_load((ROOT / "profiles" / "default" / "config.yaml").read_text())
    cluster = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    assert default == {"rerun-incomplete": True}
    assert all(cluster.get(k, v) == v for k, v in default.items())


def _dry_run(*args, env=ENV):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(SNAKEMAKE + ["-n", "--profile", "profiles/slurm", *NO_CONDA, *args],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-3000:]
    return text, wall, cpu


def _jobs(text):
    """{rule: count} from the dry run's job stats, and the resources printed per rule."""
    stats = text.split("Job stats:")[1].split("\n\n")[0]
    counts = {m.group(1): int(m.group(2))
              for m in re.finditer(r"^(\w+)\s+(\d+)$", stats, re.M)}
    resources = {}
    for block in re.split(r"\n\s*\n", text):
        m = re.search(r"^(?:local)?rule (\w+):", block, re.M)
        r = re.search(r"resources: (.*)$", block, re.M)
        if m and r:
            resources.setdefault(m.group(1), r.group(1))
    return counts, resources


def test_paper_scale_dag_is_small_and_fast_to_plan(summary):
    text, wall, cpu = _dry_run()
    counts, resources = _jobs(text)
    total = counts.pop("total")
    summary.append(f"paper-scale DAG under profiles/slurm: {total} jobs "
                   f"({', '.join(f'{k} {v}' for k, v in counts.items())}); "
                   f"`snakemake -n --profile profiles/slurm` {wall:.2f} s wall, {cpu:.2f} s CPU")
    assert 10 <= total <= 500, f"{total} jobs: zoo training should be sharded into batched jobs"
    assert counts["gpt_zoo_shard"] >= 2
    # wall time also pays for the other processes on a shared 2-core machine; CPU time does not.
    # Budget: start-up (imports, config validation) plus a linear cost per job — measured 3.8-5.8 s
    # for 381 jobs (≈2 s + 5-10 ms per job); a planner that grew quadratically would exceed it
    budget = 2.5 + 0.015 * total
    assert cpu < budget, f"dry run used {cpu:.1f} s of CPU for {total} jobs (budget {budget:.1f} s)"
    # GPU need as the rules declare it (paper config: device auto): trainers get one
    assert "gpu=1" in resources["gpt_fit"] and "gpu=1" in resources["gpt_zoo_shard"]
    assert "gpu=0" in resources["dataset"] and "gpu=0" in resources["table"]


def test_partition_account_and_gpu_type_come_from_the_environment():
    env = {**ENV, "WEIGHTMEM_SLURM_PARTITION": "gpuq", "WEIGHTMEM_SLURM_ACCOUNT": "proj7",
           "WEIGHTMEM_SLURM_GPU_MODEL": "a100"}
    text, _, _ = _dry_run("--configfile", "tests/config/tiny.yaml", env=env)
    _, resources = _jobs(text)
    for rule in ("dataset", "gpt_fit"):
        r = resources[rule]
        assert "slurm_partition=gpuq" in r and "slurm_account=proj7" in r, r
        assert "gpu_model=a100" in r, r
    text, _, _ = _dry_run("--configfile", "tests/config/tiny.yaml")
    assert "slurm_partition" not in text and "slurm_account" not in text


# ---------------------------------------------------------------- a real cluster run

def slurm_unavailable():
    """Why SLURM cannot be used here, or None."""
    missing = [b for b in ("sbatch", "squeue", "sinfo", "scontrol") if not shutil.which(b)]
    if missing:
        return f"SLURM client binaries not installed ({', '.join(missing)}); run .ci/slurm-setup.sh as root"
    try:
        ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=20)
        state = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True,
                               timeout=20).stdout.split()
    except subprocess.TimeoutExpired:
        return "the SLURM controller does not answer (scontrol ping timed out)"
    if "UP" not in ping.stdout:
        return f"no SLURM controller is up: {ping.stdout.strip() or ping.stderr.strip()}"
    if not any(s.startswith(("idle", "mix", "alloc")) for s in state):
        return f"no SLURM node can take jobs (node states: {state})"
    return None


@pytest.fixture(scope="module")
def cluster():
    reason = slurm_unavailable()
    if reason:
        if IN_CI:
            pytest.fail(f"CI must run the SLURM tests, but: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def runs(cluster, tmp_path_factory, request):
    """The tiny config once through SLURM and once locally: the session's local tiny run
    (conftest.py tiny_gpt_run), made while the SLURM run waits on status polls if no test made
    it before."""
    base = tmp_path_factory.mktemp("slurm")
    on_slurm, out = base / "results", base / "snakemake.out"
    t0 = time.perf_counter()
    with out.open("w") as f:  # a file, not a pipe: nobody reads it while the local run works
        s = subprocess.Popen(SNAKEMAKE + ["--profile", "profiles/slurm",
                                          "--workflow-profile", "tests/profiles/slurm-test",
                                          "--config", f"results={on_slurm}"],
                             cwd=ROOT, stdout=f, stderr=subprocess.STDOUT, text=True, env=ENV)
    try:
        local = request.getfixturevalue("tiny_gpt_run")
        s.wait(timeout=1500)
    except BaseException:
        s.kill()
        raise
    sout = out.read_text()
    wall = time.perf_counter() - t0
    assert s.returncode == 0, f"SLURM run failed:\n{sout[-5000:]}"
    return {"slurm": on_slurm, "local": local, "log": sout, "wall": wall}


def _jobs_of_run(log):
    """jobid -> {rule, local, log, slurm_id} from a snakemake run's output."""
    jobs = {}
    for block in re.split(r"\n\s*\n", log):
        m = re.search(r"^(local)?rule (\w+):", block, re.M)
        j = re.search(r"^\s+jobid: (\d+)", block, re.M)
        if m and j:
            lg = re.search(r"^\s+log: (.+)$", block, re.M)
            jobs[int(j.group(1))] = {"rule": m.group(2), "local": bool(m.group(1)),
                                     "log": lg.group(1).strip() if lg else None, "slurm_id": None}
    for m in re.finditer(r"Job (\d+) has been submitted with SLURM jobid (\d+)", log):
        jobs[int(m.group(1))]["slurm_id"] = m.group(2)
    return jobs


@pytest.mark.slurm
def test_every_cluster_job_ran_as_a_slurm_job(runs, summary):
    jobs = _jobs_of_run(runs["log"])
    remote = {k: v for k, v in jobs.items() if not v["local"]}
    local = {k: v for k, v in jobs.items() if v["local"]}
    assert len(remote) >= 10, f"only {len(remote)} cluster jobs: {jobs}"
    lines = []
    for job in remote.values():
        sid = job["slurm_id"]
        assert sid, f"{job['rule']} was never submitted to SLURM"
        # the job itself saw it was a SLURM job: runtime.get_logger writes SLURM_JOB_ID
        text = Path(job["log"]).read_text()
        assert f"SLURM_JOB_ID={sid}\n" in text, f"{job['log']} does not record SLURM job {sid}"
        # ... and the controller knows it finished, with the resources the rule declared
        info = subprocess.run(["scontrol", "show", "job", sid], capture_output=True,
                              text=True, timeout=20).stdout
        assert "JobState=COMPLETED" in info, f"SLURM job {sid} ({job['rule']}): {info[:500]}"
        cpus = re.search(r"NumCPUs=\d+", info).group(0)
        mem = re.search(r"MinMemoryNode=\S+", info).group(0)
        lines.append(f"{job['rule']}: SLURM job {sid} {cpus} {mem}")
    assert len({j["slurm_id"] for j in remote.values()}) == len(remote)
    # local rules (cheap figures, `all`) stay on the submitting host, as the Snakefile says
    for job in local.values():
        assert job["slurm_id"] is None
        if job["log"]:
            assert "SLURM_JOB_ID" not in Path(job["log"]).read_text()
    summary.append(f"tiny config via profiles/slurm + tests/profiles/slurm-test: {len(remote)} "
                   f"jobs ran as SLURM jobs (COMPLETED per scontrol, SLURM_JOB_ID in each rule "
                   f"log), {len(local)} local rules on the submitting host; {runs['wall']:.0f} s")
    summary.extend("  " + line for line in sorted(lines))


@pytest.mark.slurm
def test_slurm_jobs_got_the_declared_resources(runs):
    jobs = _jobs_of_run(runs["log"])
    fit = next(j for j in jobs.values() if j["rule"] == "gpt_fit")
    info = subprocess.run(["scontrol", "show", "job", fit["slurm_id"]], capture_output=True,
                          text=True, timeout=20).stdout
    # the ask the rule computes from the config (weightmem.resources via rules/common.smk need())
    from snakemake.utils import update_config

    from weightmem.config import validate
    from weightmem.resources import ask_mb

    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    update_config(cfg, yaml.safe_load((ROOT / "tests" / "config" / "tiny.yaml").read_text()))
    cfg = validate(cfg, ROOT / "config" / "schema.yaml")
    want = ask_mb(cfg, "gpt_fit", {"variant": "default"})
    assert "NumCPUs=2" in info and f"MinMemoryNode={want}M" in info, (want, info)


def _outputs(root):
    skip = {"logs", "benchmarks"}
    return sorted(p.relative_to(root) for p in root.rglob("*")
                  if p.is_file() and p.relative_to(root).parts[0] not in skip)


@pytest.mark.slurm
def test_outputs_equal_a_local_run(runs, summary):
    from safetensors import safe_open

    a, b = runs["slurm"], runs["local"]
    files = _outputs(b)
    assert files == _outputs(a)
    assert len(files) >= 15
    for rel in files:
        fa, fb = a / rel, b / rel
        if rel.suffix == ".safetensors":
            with safe_open(fa, "np") as x, safe_open(fb, "np") as y:
                assert sorted(x.keys()) == sorted(y.keys()), rel
                for k in x.keys():
                    np.testing.assert_array_equal(x.get_tensor(k), y.get_tensor(k), err_msg=f"{rel}:{k}")
        elif rel.suffix == ".csv":
            pd.testing.assert_frame_equal(pd.read_csv(fa), pd.read_csv(fb), obj=str(rel))
        elif rel.suffix == ".png":
            np.testing.assert_array_equal(np.asarray(Image.open(fa)), np.asarray(Image.open(fb)),
                                          err_msg=str(rel))
        elif rel.suffix == ".npz":
            with np.load(fa) as x, np.load(fb) as y:
                assert sorted(x.files) == sorted(y.files)
                for k in x.files:
                    np.testing.assert_array_equal(x[k], y[k], err_msg=f"{rel}:{k}")
        else:
            assert fa.read_bytes() == fb.read_bytes(), rel
    kinds = sorted({p.suffix for p in files})
    summary.append(f"all {len(files)} outputs of the SLURM run equal the local run's "
                   f"({', '.join(kinds)}: tensors, tables, pixels)")

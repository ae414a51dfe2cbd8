"""``weightmem audit``: write an audit config and run this repository's Snakemake DAG on it;
``weightmem seeds``: run the DAG once per seed and report every finding per seed.

    weightmem audit --training T --generated G [--heldout H] [--keys GLOB]
                    [--behaviour DATASET [--arch TAG | --model module:function]]
                    [--noise A,B] [--copy] --out DIR [snakemake arguments, e.g. -n, --profile ...]

DIR is the results folder: DIR/config.yaml (the audit config), DIR/verdict.json, DIR/report.html
and everything the DAG makes on the way. Arguments weightmem does not know go to snakemake
(``-n`` for a dry run, ``--profile profiles/slurm``); ``--target DIR/audit/tables/generated.csv``
builds one output and what it needs; without it the ``audit`` rule is built.

    weightmem seeds --configfile config/seeds.yaml [other overlays] [snakemake arguments]

runs the whole DAG once per seed listed under ``seeds:`` into ``<results>/seed<N>`` and then
builds ``<results>/seeds.html`` (rule seeds_report, weightmem.seedreport).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]  # the repository (workflow/scripts/weightmem/cli.py)


def model_spec(spec: str) -> str:
    """``module:function`` as the DAG's jobs will import it: a ``.py`` path made absolute; a
    dotted module checked importable from here (the jobs get this directory on PYTHONPATH)."""
    from weightmem.audit import AuditInputError
    from weightmem.nets.custom import load_callable

    module, sep, name = spec.rpartition(":")
    if sep and module.endswith(".py"):
        spec = f"{Path(module).resolve()}:{name}"
    sys.path.insert(0, os.getcwd())
    try:
        load_callable(spec)
    except ValueError as e:
        raise AuditInputError(str(e)) from e
    finally:
        sys.path.remove(os.getcwd())
    return spec


def audit_config(args) -> dict:
    from weightmem import audit

    out = Path(args.out).resolve()
    noise = [float(a) for a in args.noise.split(",") if a.strip()]
    t = audit.open_set(args.training, audit.parse_keys(args.keys), "training")
    mlp = audit.mlp_arch(t.layout) if isinstance(t, audit.FolderSet) else None
    arch = getattr(t, "arch", audit.CUSTOM)
    if (args.model or args.arch) and not args.behaviour:
        raise audit.AuditInputError("--model / --arch say how to run the models on a data set: "
                                    "give --behaviour DATASET too")
    if args.model and args.arch:
        raise audit.AuditInputError("give --arch (a built-in network) or --model (your "
                                    "function), not both")
    model = model_spec(args.model) if args.model else None
    if args.arch:
        audit.match_arch(args.arch, t.layout)  # fails here, naming both layouts
        arch = args.arch
    elif mlp and not model:
        arch = mlp[0]
    if model:
        arch = f"custom:{model}"
    if args.behaviour and arch.partition(":")[0] == audit.CUSTOM and not model:
        raise audit.AuditInputError(
            f"--behaviour {args.behaviour}: the training models ({args.training}) are not a "
            f"network built in here (a one-hidden-layer MLP is recognised by its shapes): name "
            f"one with --arch TAG (e.g. cnn:1x28x28-10-relu, mlp:64-10-10) or give your own "
            f"with --model module:function (README, 'Audit your own generator')")
    # the weight distance: exact aligned L2 for one-hidden-layer MLPs, weight matching (an
    # upper bound) for other chains recognised from the layout, else plain L2; a researcher's
    # function may do anything with its weights: plain (weightmem.evaluation.matching)
    from weightmem.evaluation.matching import permutation_structure

    distance = ("aligned" if arch.startswith("mlp:") else "plain" if model
                else "matched" if permutation_structure(t.layout) else "plain")
    section = {
        "module": "weightmem.methods.audit",
        "training": str(Path(args.training).resolve()),
        "generated": str(Path(args.generated).resolve()),
        "heldout": str(Path(args.heldout).resolve()) if args.heldout else None,
        "keys": args.keys,
        "behaviour": args.behaviour,
        "arch": args.arch,
        "model": model,
        "distance": distance,
        "alpha": args.alpha,
        "holdout_fraction": args.holdout_fraction,
        "import": "copy" if args.copy else "link",
        "baselines": {"noise": noise},
        "figures": {"seed": 0, "grid_resolution": 60},
    }
    if args.behaviour:
        section["dataset"] = args.behaviour
    return {"results": str(out), "methods": ["audit"], "audit": section}


def merged_config(files: list[str]) -> dict:
    """config/config.yaml with the overlays merged over it as Snakemake merges them (nested
    mappings key by key, everything else replaced)."""
    import yaml

    def merge(a: dict, b: dict) -> None:
        for k, v in b.items():
            if isinstance(v, dict) and isinstance(a.get(k), dict):
                merge(a[k], v)
            else:
                a[k] = v

    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    for f in files:
        merge(cfg, yaml.safe_load(Path(f).read_text()) or {})
    return cfg


def seed_commands(configfiles: list[str], rest: list[str]) -> tuple[list[list[str]], list[str]]:
    """(one snakemake command per seed of ``seeds:``, the command of the seeds report).

    Seed N runs the whole DAG with ``--config seed=N results=<results>/seedN`` and builds that
    folder's report (its findings and summary tables); the last command builds
    ``<results>/seeds.html`` from them (rule seeds_report)."""
    cfg = merged_config(configfiles)
    seeds = cfg.get("seeds") or []
    if not seeds:
        raise ValueError("no seeds: give an overlay that lists them, e.g. --configfile "
                         "config/seeds.yaml (seeds: [0, 1, 2])")
    if any(r == "--config" or r.startswith("--config=") for r in rest):
        raise ValueError("--config is set per seed (seed=N results=...): put other settings in "
                         "an overlay file (--configfile)")
    results = cfg["results"]
    cores = [] if any(r in ("-c", "--cores", "-j", "--jobs", "--profile") or
                      r.startswith(("--cores=", "--jobs=", "--profile=")) for r in rest) \
        else ["--cores", "2"]
    base = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), *cores, *rest]
    files = ["--configfile", *configfiles] if configfiles else []
    per_seed = [[*base, f"{results}/seed{s}/report.html", *files, "--config", f"seed={s}",
                 f"results={results}/seed{s}"] for s in seeds]
    return per_seed, [*base, f"{results}/seeds.html", *files]


def seeds_main(args, rest: list[str]) -> int:
    try:
        per_seed, final = seed_commands(args.configfile or [], rest)
    except (ValueError, OSError) as e:
        print(f"weightmem seeds: {e}", file=sys.stderr)
        return 2
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "workflow" / "scripts"), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    for cmd in per_seed:
        print("weightmem seeds:", " ".join(cmd[1:]), file=sys.stderr, flush=True)
        rc = subprocess.call(cmd, cwd=ROOT, env=env)
        if rc:
            return rc
    if any(r in ("-n", "--dry-run", "--dryrun") for r in rest):
        print("weightmem seeds: dry run; after the seeds have run, the report: "
              + " ".join(final[1:]), file=sys.stderr)
        return 0
    print("weightmem seeds:", " ".join(final[1:]), file=sys.stderr, flush=True)
    return subprocess.call(final, cwd=ROOT, env=env)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="weightmem", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    sd = sub.add_parser("seeds", help="run the DAG once per seed of seeds: and report every "
                                      "finding per seed (config/seeds.yaml)")
    sd.add_argument("--configfile", nargs="+", action="extend",
                    help="overlays merged over config/config.yaml, e.g. config/seeds.yaml")
    a = sub.add_parser("audit", help="does a generator copy its training models?")
    a.add_argument("--training", required=True, help="T: folder of state dicts or [N, D] file")
    a.add_argument("--generated", required=True, help="G: the generator's models")
    a.add_argument("--heldout", help="H: real models of other runs than T (default: whole runs "
                                     "of T held out)")
    a.add_argument("--keys", help="comma-separated globs of parameter names, e.g. 'layer4.1.bn*'")
    a.add_argument("--behaviour", help="data set (a key of data: in config/config.yaml) to "
                                       "evaluate the models on as classifiers")
    a.add_argument("--arch", help="with --behaviour: the built-in network the state dicts are "
                                  "(e.g. cnn:1x28x28-10-relu; one-hidden-layer MLPs are "
                                  "recognised without it)")
    a.add_argument("--model", help="with --behaviour: your network as module:function, called "
                                   "fn(weights [B, D], layout, x [n, C, H, W]) -> logits "
                                   "[B, n, classes] (weightmem.nets.custom)")
    a.add_argument("--noise", default="0.001,0.01",
                   help="noise-baseline std amplitudes on T, raw units (default 0.001,0.01)")
    a.add_argument("--alpha", type=float, default=0.01, help="significance level (0.01)")
    a.add_argument("--copy", action="store_true",
                   help="copy the models into the results folder (default: folders of float32 "
                        ".safetensors files are read in place, so they must stay unchanged "
                        "until the audit is done)")
    a.add_argument("--holdout-fraction", type=float, default=0.25,
                   help="without --heldout: the fraction of the training set's runs held out "
                        "(0.25)")
    a.add_argument("--out", required=True, help="results folder")
    a.add_argument("--target", action="append",
                   help="build this output (a path under --out) instead of the whole audit")
    args, rest = p.parse_known_args(argv)
    if args.command == "seeds":
        return seeds_main(args, rest)
    import yaml

    from weightmem.audit import AuditInputError

    try:
        cfg = audit_config(args)
    except AuditInputError as e:
        print(f"weightmem audit: {e}", file=sys.stderr)
        return 2
    out = Path(cfg["results"])
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    targets = args.target or ["audit"]
    cores = [] if any(r in ("-c", "--cores", "-j", "--jobs", "--profile") or
                      r.startswith(("--cores=", "--jobs=", "--profile=")) for r in rest) \
        else ["--cores", "2"]
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--configfile",
           str(out / "config.yaml"), *cores, *rest, *targets]
    # the jobs import weightmem, and a --model module from the directory the audit ran in
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "workflow" / "scripts"), *([os.getcwd()] if args.model else []),
         os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    return subprocess.call(cmd, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())

"""Static check of the conda envs (conda channels cannot be reached from CI, so nothing is solved).

For every rule in the Snakefile and rules/*.smk: a rule that runs something names a conda env,
the env file parses and pins every package, and every third-party module imported by the rule's
script -- and by every weightmem module it reaches, followed transitively -- is listed in that
env. Rules, scripts and envs are discovered, so methods added later are covered without edits.
"""
import ast
import re
import sys
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "workflow" / "scripts"
LIB = "weightmem"

# import name -> conda-forge package names that provide it (first = the canonical one)
CONDA_NAME = {
    "torch": ("pytorch", "pytorch-gpu", "pytorch-cpu"),
    "sklearn": ("scikit-learn",),
    "skimage": ("scikit-image",),
    "yaml": ("pyyaml",),
    "PIL": ("pillow",),
    "matplotlib": ("matplotlib", "matplotlib-base"),
    "mpl_toolkits": ("matplotlib", "matplotlib-base"),
    "cv2": ("opencv", "py-opencv"),
}
# env entries that no script imports but an env needs: the interpreter, pip, and the
# metapackage that makes the solver pick a CUDA build of torch
NOT_IMPORTED = {"python", "pip", "pytorch-gpu", "cuda-version"}
ENV_REQUIRED_KEYS = {"channels", "dependencies"}


# ---------------------------------------------------------------- rules

RULE_RE = re.compile(r"^(?:rule|checkpoint)\s+(\w+)\s*:", re.M)
DIRECTIVE_RE = re.compile(r"^\s+(\w+)\s*:", re.M)


def _directive(block: str, name: str):
    """The first string literal of a directive (`conda:`/`script:`) in a rule block, or None."""
    m = re.search(rf"^\s+{name}\s*:\s*\n?\s*([\"'])(.+?)\1", block, re.M)
    return m.group(2) if m else None


def parse_rules():
    """[(file, rule, block)] for every rule in the Snakefile and rules/*.smk."""
    out = []
    for path in [ROOT / "Snakefile", *sorted((ROOT / "rules").glob("*.smk"))]:
        text = path.read_text()
        heads = list(RULE_RE.finditer(text))
        for i, m in enumerate(heads):
            end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
            # a rule block ends at the first unindented line after its header
            body = text[m.end():end]
            stop = re.search(r"^\S", body, re.M)
            out.append((path, m.group(1), body[: stop.start()] if stop else body))
    return out


RULES = parse_rules()
ACTING = [(p, r, b) for p, r, b in RULES
          if re.search(r"^\s+(script|shell|run|wrapper|notebook)\s*:", b, re.M)]


# ---------------------------------------------------------------- imports

def _optional(node, parents) -> bool:
    """An import inside `try: ... except ImportError` is optional."""
    for p in parents.get(node, ()):
        if isinstance(p, ast.Try):
            for h in p.handlers:
                names = [h.type] if not isinstance(h.type, ast.Tuple) else h.type.elts
                if any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError")
                       for n in names):
                    return True
    return False


def _module_file(dotted: str):
    base = SCRIPTS.joinpath(*dotted.split("."))
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def _package_of(path: Path) -> str:
    rel = path.relative_to(SCRIPTS).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1])
    return ".".join(parts[:-1])


@lru_cache(maxsize=None)
def imports_of(path: Path):
    """(third-party top-level names, weightmem modules) imported anywhere in one file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    parents = {}
    stack = [(tree, ())]
    while stack:  # record each node's ancestors, to recognise optional imports
        node, anc = stack.pop()
        for child in ast.iter_child_nodes(node):
            parents[child] = anc + (node,)
            stack.append((child, anc + (node,)))
    third, local = set(), set()
    pkg = _package_of(path) if path.is_relative_to(SCRIPTS / LIB) else ""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import inside the library
                base = pkg.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            names = [(mod, [a.name for a in node.names])]
        else:
            continue
        if _optional(node, parents):
            continue
        for mod, members in names:
            top = mod.split(".")[0]
            if top == LIB:
                local.add(mod)
                # `from weightmem.nets import mlp` imports the submodule weightmem.nets.mlp
                local.update(f"{mod}.{m}" for m in members if _module_file(f"{mod}.{m}"))
            elif top not in sys.stdlib_module_names and top != "__future__":
                third.add(top)
    return frozenset(third), frozenset(local)


def reached_imports(script: Path):
    """Third-party modules imported by a script and every weightmem module it reaches."""
    third, todo, seen = set(), [script], set()
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        t, local = imports_of(f)
        third |= t
        for mod in local:
            parts = mod.split(".")
            for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__, a/b/__init__
                mf = _module_file(".".join(parts[:i]))
                if mf is None and i == len(parts):
                    raise AssertionError(f"{f} imports {mod}, which is not in {SCRIPTS / LIB}")
                if mf is not None:
                    todo.append(mf)
    return third, seen


# ---------------------------------------------------------------- envs

def _dep_name(spec: str) -> str:
    return re.split(r"[=<>!~ \[]", spec.strip(), maxsplit=1)[0].split("::")[-1].lower()


@lru_cache(maxsize=None)
def load_env(path: Path):
    env = yaml.safe_load(path.read_text())
    assert isinstance(env, dict), f"{path}: not a YAML mapping"
    missing = ENV_REQUIRED_KEYS - env.keys()
    assert not missing, f"{path}: missing {sorted(missing)}"
    conda, pip = [], []
    for d in env["dependencies"]:
        if isinstance(d, dict):
            assert set(d) == {"pip"}, f"{path}: unexpected dependency entry {d}"
            pip += d["pip"]
        else:
            conda.append(str(d))
    return env, conda, pip


def env_path(smk_file: Path, conda: str) -> Path:
    return (smk_file.parent / conda).resolve()


def test_rules_were_found():
    names = {r for _, r, _ in ACTING}
    assert {"gpt_fit", "behaviour", "table", "dataset"} <= names, names


@pytest.mark.parametrize("smk,rule,block", ACTING, ids=[r for _, r, _ in ACTING])
def test_rule_names_an_existing_env_and_script(smk, rule, block):
    conda = _directive(block, "conda")
    assert conda, f"rule {rule} ({smk.name}) names no conda env"
    env = env_path(smk, conda)
    assert env.is_file(), f"rule {rule}: env {env} does not exist"
    assert env.parent == ROOT / "envs", f"rule {rule}: env {env} is not in envs/"
    script = _directive(block, "script")
    if script:
        sp = (smk.parent / script).resolve()
        assert sp.is_file(), f"rule {rule}: script {sp} does not exist"
        # Snakemake's script preamble appends the script's own folder to sys.path; the library
        # sits in that folder, so every env imports `weightmem` with no install step
        assert sp.parent == SCRIPTS, f"rule {rule}: script {sp} is not directly in {SCRIPTS}"


ENVS = sorted((ROOT / "envs").glob("*.yaml"))


@pytest.mark.parametrize("path", ENVS, ids=[p.name for p in ENVS])
def test_env_parses_and_pins_everything(path):
    env, conda, pip = load_env(path)
    assert "conda-forge" in env["channels"], f"{path.name}: conda-forge channel missing"
    names = [_dep_name(d) for d in conda]
    assert "python" in names, f"{path.name}: no python pin"
    for d in conda:
        assert re.search(r"^[\w.:-]+\s*=", d.strip()), f"{path.name}: '{d}' is not pinned"
    for d in pip:
        assert "==" in d or d.startswith("-e "), f"{path.name}: pip '{d}' is not pinned"
    assert len(set(names)) == len(names), f"{path.name}: a package is listed twice"


def _envs_by_script():
    out = {}
    for smk, rule, block in ACTING:
        conda, script = _directive(block, "conda"), _directive(block, "script")
        if conda and script:
            out.setdefault(env_path(smk, conda), {})[rule] = (smk.parent / script).resolve()
    return out


ENV_SCRIPTS = _envs_by_script()


@pytest.mark.parametrize("env", sorted(ENV_SCRIPTS), ids=[p.name for p in sorted(ENV_SCRIPTS)])
def test_env_provides_every_import_of_its_rules(env):
    _, conda, pip = load_env(env)
    provided = {_dep_name(d) for d in conda + pip}
    needed_by = {}
    for rule, script in ENV_SCRIPTS[env].items():
        third, _ = reached_imports(script)
        for mod in third:
            needed_by.setdefault(mod, set()).add(rule)
    missing = {m: sorted(r) for m, r in needed_by.items()
               if not provided & set(CONDA_NAME.get(m, (m.lower(),)))}
    assert not missing, (f"{env.name} lacks what its rules import "
                         f"(module: rules): {missing}; add the conda-forge package")
    # and nothing else: an env lists exactly what its scripts import
    used = {n for m in needed_by for n in CONDA_NAME.get(m, (m.lower(),))}
    extra = provided - used - NOT_IMPORTED
    assert not extra, f"{env.name} lists packages no rule using it imports: {sorted(extra)}"


@pytest.mark.parametrize("env", sorted(ENV_SCRIPTS), ids=[p.name for p in sorted(ENV_SCRIPTS)])
def test_gpu_envs_get_a_cuda_torch(env):
    """An env whose rules may ask for a GPU must resolve to a CUDA build of torch."""
    gpu_rules = [r for smk, r, b in ACTING
                 if _directive(b, "conda") and env_path(smk, _directive(b, "conda")) == env
                 and re.search(r"^\s+gpu\s*=", b, re.M)]
    _, conda, _ = load_env(env)
    names = {_dep_name(d) for d in conda}
    if gpu_rules:
        assert "pytorch-gpu" in names, (f"{env.name} is used by GPU rules {gpu_rules} but does "
                                        "not pin pytorch-gpu (the CUDA build)")


def test_import_scanner_follows_the_library(tmp_path):
    """The scanner itself: transitive, relative imports resolved, optional imports skipped."""
    third, files = reached_imports(SCRIPTS / "gpt_fit.py")
    assert "torch" in third and "safetensors" in third  # reached only through weightmem
    assert SCRIPTS / LIB / "io.py" in files
    f = tmp_path / "x.py"
    f.write_text("import os\ntry:\n    import notathing\nexcept ImportError:\n    pass\n"
                 "from sklearn.decomposition import PCA\n")
    assert imports_of(f)[0] == {"sklearn"}

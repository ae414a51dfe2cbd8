"""HyperDiffusion (Erkoç et al. 2023): a diffusion transformer over neural occupancy fields of
airplanes, evaluated as meshes → point clouds → Chamfer distances (docs/hyperdiffusion.md).
Rules: rules/hyperdiffusion.smk."""
from weightmem import config as C
from weightmem.methods import Column, FactorColumn, Method
from weightmem.methods.hyperdiffusion.resources import RESOURCES

# what its modeling-factor rows report (docs/hyperdiffusion.md §6.1): the MMD of a whole set's
# shapes to the training shapes (tables/sets/<set>.csv, rule hd_set_summary; "training" = the
# meshes of the training fields against their ground-truth clouds), lower = better; "good" in F5 =
# at most 10% above the training fields' MMD
FACTOR_MMD = FactorColumn("mmd", source="mmd_train", per="set", set_table="tables/sets/{set}.csv",
                          label="MMD to training shapes", higher_is_better=False, tolerance=0.1,
                          relative=True)


def permutation_variants(section: dict) -> dict[str, int]:
    """Study output 10: generator variant → permuted copies of every training field added
    (``permutation_augmentation``; 0 = the default generator, k > 0 = variant 'perm<k>')."""
    return {("default" if k == 0 else f"perm{k}"): k
            for k in section.get("permutation_augmentation") or []}


def _targets(section: dict) -> list[str]:
    out = ["tables/summary.csv"]
    if section.get("permutation_augmentation"):
        out.append("tables/permutation_augmentation.csv")
    return out


def _section_figures(section: dict) -> list[str]:
    return ["permutation_augmentation"] if section.get("permutation_augmentation") else []


def check(config: dict, name: str) -> list[str]:
    """Cross-field rules of its section (weightmem.config runs them before any job)."""
    hd = config[name]
    problems = []
    sh = hd["shapes"]
    if sh["source"] == "airplanes" and "count" not in sh:
        problems.append("hyperdiffusion.shapes.count: needed when source is 'airplanes'")
    if sh["source"] == "directory" and "root" not in sh:
        problems.append("hyperdiffusion.shapes.root: needed when source is 'directory'")
    if sh["val_fraction"] + sh["test_fraction"] >= 1:
        problems.append("hyperdiffusion.shapes: val_fraction + test_fraction leave no training shapes")
    g = hd["generator"]
    if g["width"] % g["heads"]:
        problems.append(f"hyperdiffusion.generator.width: {g['width']} is not divisible by heads "
                        f"{g['heads']}")
    problems += C.variant_problems(
        name, hd, lambda v: [f"width {v['width']} is not divisible by heads {v['heads']}"]
        if v["width"] % v["heads"] else [])
    occ = hd["occupancy"]
    points = occ["near_points"] + occ["uniform_points"]
    if hd["field"]["batch_points"] > points:
        problems.append(f"hyperdiffusion.field.batch_points: {hd['field']['batch_points']} is more "
                        f"than the {points} supervision points per shape")
    problems += C.sample_steps_fit("hyperdiffusion", hd)
    return problems


def memory(config: dict, name: str) -> list[tuple[str, float, str]]:
    """Its largest in-memory arrays (weightmem.config.check_machine)."""
    r = config[name]["evaluation"]["resolution"]
    return [("hyperdiffusion.evaluation.resolution", r ** 3 * 40,
             f"the meshing grid ({r}³ points: coordinates, and logits of 4 fields)")]


METHOD = Method(
    name="hyperdiffusion",
    title="HyperDiffusion",
    behaviour="field",
    quality=Column("min_cd_test", "min Chamfer distance to test shapes", "negate",
                   short="min CD to test"),
    novelty=Column("min_cd_train", "min Chamfer distance to training shapes",
                   short="min CD to training"),
    table_inputs={"train_ref": "clouds/reference_train.safetensors",
                  "test_ref": "clouds/reference_test.safetensors"},
    noun="field",
    rules="rules/hyperdiffusion.smk",
    stages="weightmem.methods.hyperdiffusion.stages",
    targets=_targets,
    section_figures=_section_figures,  # the permutation-augmentation renders, when asked for
    factor_performance=FACTOR_MMD,
    check=check,
    memory=memory,
    resources=RESOURCES,
)

"""HyperDiffusion (Erkoç et al. 2023): a diffusion transformer over neural occupancy fields of
airplanes, evaluated as meshes → point clouds → Chamfer distances (docs/hyperdiffusion.md).
Rules: rules/hyperdiffusion.smk."""
from weightmem import config as C
from weightmem.methods import Column, Method


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
    targets=lambda section: ["tables/summary.csv"],
    check=check,
    memory=memory,
)

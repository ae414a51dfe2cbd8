"""HyperDiffusion (Erkoç et al. 2023): a diffusion transformer over neural occupancy fields of
airplanes, evaluated as meshes → point clouds → Chamfer distances (docs/hyperdiffusion.md).
Rules: rules/hyperdiffusion.smk."""
from weightmem.methods import Column, Method


def check(section: dict) -> list[str]:
    """Cross-field rules of its config section (weightmem.config runs them)."""
    problems = []
    sh = section["shapes"]
    if sh["source"] == "airplanes" and "count" not in sh:
        problems.append("shapes.count: needed when source is 'airplanes'")
    if sh["source"] == "directory" and "root" not in sh:
        problems.append("shapes.root: needed when source is 'directory'")
    if sh["val_fraction"] + sh["test_fraction"] >= 1:
        problems.append("shapes: val_fraction + test_fraction leave no training shapes")
    g = section["generator"]
    if g["width"] % g["heads"]:
        problems.append(f"generator.width: {g['width']} is not divisible by heads {g['heads']}")
    occ = section["occupancy"]
    if section["field"]["batch_points"] > occ["near_points"] + occ["uniform_points"]:
        problems.append("field.batch_points: more than the supervision points per shape")
    return problems


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
)

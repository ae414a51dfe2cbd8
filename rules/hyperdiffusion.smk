# HyperDiffusion (docs/hyperdiffusion.md): meshes → occupancy points → shared-init neural fields →
# diffusion transformer → DDIM samples. Meshing, point clouds, Chamfer tables and the figures are
# the shared rules (its declaration: behaviour kind "field"). Generator variants ({variant}): the
# default, the modeling factors (study output 8) and the permutation augmentation (output 10:
# 'perm<k>' = the default generator trained with k permuted copies of every field added).
from weightmem.methods import hyperdiffusion as _hd  # noqa: E402

HD = f"{R}/hyperdiffusion"
HD_PERMS = _hd.permutation_variants(config["hyperdiffusion"])  # variant → permuted copies
HD_SHAPES = config["hyperdiffusion"]["shapes"]
# the generated airplanes (embedded) or the user's mesh directory (e.g. ShapeNet 02691156)
HD_MESHES = f"{HD}/shapes/meshes" if HD_SHAPES["source"] == "airplanes" else HD_SHAPES.get("root", "")
HD_SETS = ["training", "generated", *noise_sets("hyperdiffusion")]  # meshed and scored


rule hd_airplanes:
    output:
        directory(f"{HD}/shapes/meshes"),
    params:
        seed=seed("hyperdiffusion.shapes"),
        shapes=lambda w: config["hyperdiffusion"]["shapes"],
    log:
        logs("hyperdiffusion/shapes/airplanes"),
    benchmark:
        bench("hyperdiffusion/shapes/airplanes")
    resources:
        mem_mb=need("hd_airplanes"),
        runtime=10,
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_airplanes.py"


rule hd_split:
    input:
        # a user's directory that is missing is reported by the script (README: how to get it),
        # so that the paper config still dry-runs on a machine without ShapeNet
        meshes=lambda w: HD_MESHES if Path(HD_MESHES).exists() or HD_SHAPES["source"] == "airplanes" else [],
    output:
        f"{HD}/shapes/split.csv",
    params:
        seed=seed("hyperdiffusion.split"),
        shapes=lambda w: config["hyperdiffusion"]["shapes"],
        meshes=lambda w: HD_MESHES,
    log:
        logs("hyperdiffusion/shapes/split"),
    benchmark:
        bench("hyperdiffusion/shapes/split")
    resources:
        mem_mb=need("hd_split"),
        runtime=10,
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_split.py"


rule hd_occupancy:
    input:
        split=f"{HD}/shapes/split.csv",
    output:
        f"{HD}/occupancy/shard{{shard}}.safetensors",
    params:
        seed=seed("hyperdiffusion.occupancy"),
        occupancy=lambda w: config["hyperdiffusion"]["occupancy"],
        cache=f"{HD}/occupancy/cache",
    log:
        logs("hyperdiffusion/occupancy/shard{shard}"),
    benchmark:
        bench("hyperdiffusion/occupancy/shard{shard}")
    resources:
        mem_mb=need("hd_occupancy"),
        runtime=240,
        gpu=gpu_if_cuda(),  # winding numbers are O(points × triangles): ShapeNet meshes want a GPU
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_occupancy.py"


rule hd_field_init:
    input:
        split=f"{HD}/shapes/split.csv",
        occupancy=f"{HD}/occupancy/shard0.safetensors",
    output:
        f"{HD}/zoo/init.safetensors",
    params:
        seed=seed("hyperdiffusion.field_init"),
        field=lambda w: config["hyperdiffusion"]["field"],
    log:
        logs("hyperdiffusion/zoo/init"),
    benchmark:
        bench("hyperdiffusion/zoo/init")
    resources:
        mem_mb=need("hd_field_init"),
        runtime=120,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_field_init.py"


rule hd_fields:
    input:
        split=f"{HD}/shapes/split.csv",
        occupancy=f"{HD}/occupancy/shard{{shard}}.safetensors",
        init=f"{HD}/zoo/init.safetensors",
    output:
        f"{HD}/zoo/shard{{shard}}.safetensors",
    params:
        seed=seed("hyperdiffusion.fields"),
        field=lambda w: config["hyperdiffusion"]["field"],
    log:
        logs("hyperdiffusion/zoo/shard{shard}"),
    benchmark:
        bench("hyperdiffusion/zoo/shard{shard}")
    resources:
        mem_mb=need("hd_fields"),
        runtime=1440,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_fields.py"


rule hd_training_set:
    input:
        lambda w: expand(f"{HD}/zoo/shard{{shard}}.safetensors", shard=range(config["hyperdiffusion"]["occupancy"]["shards"])),
    output:
        f"{HD}/weights/training.safetensors",
    log:
        logs("hyperdiffusion/training_set"),
    benchmark:
        bench("hyperdiffusion/training_set")
    resources:
        mem_mb=need("hd_training_set"),
        runtime=30,
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_training_set.py"


rule hd_fit:
    input:
        training=f"{HD}/weights/training.safetensors",
    output:
        model=f"{HD}/generator/{{variant}}/model.safetensors",
        curve=f"{HD}/generator/{{variant}}/train_log.csv",
    wildcard_constraints:
        variant=r"(?!perm[0-9]+\b)\w+",  # perm<k>: rule hd_fit_permuted
    params:
        seed=seed("hyperdiffusion.fit"),
        generator=lambda w: generator_config("hyperdiffusion", w.variant),
    log:
        logs("hyperdiffusion/generator/{variant}"),
    benchmark:
        bench("hyperdiffusion/generator/{variant}")
    threads: 1  # torch on more threads than free cores stalls on a shared machine
    resources:
        mem_mb=need("hd_fit"),
        runtime=2880,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_fit.py"


# study output 10: the default generator trained on the fields plus k permuted copies of each
rule hd_fit_permuted:
    input:
        training=f"{HD}/weights/training.safetensors",
    output:
        model=f"{HD}/generator/{{variant}}/model.safetensors",
        curve=f"{HD}/generator/{{variant}}/train_log.csv",
    wildcard_constraints:
        variant=r"perm[0-9]+",
    params:
        seed=seed("hyperdiffusion.fit"),
        generator=lambda w: generator_config("hyperdiffusion", "default"),
        permutations=lambda w: HD_PERMS[w.variant],
        permutation_seed=seed("hyperdiffusion.permutation"),
    log:
        logs("hyperdiffusion/generator/{variant}"),
    benchmark:
        bench("hyperdiffusion/generator/{variant}")
    threads: 1  # torch on more threads than free cores stalls on a shared machine
    resources:
        mem_mb=need("hd_fit_permuted"),
        runtime=2880,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_fit_permuted.py"


# 'generated' = the default generator's samples, 'generated-<variant>' a variant's (same seed)
rule hd_sample:
    input:
        model=lambda w: f"{HD}/generator/{_factors.variant_of(w.generated)}/model.safetensors",
        training=f"{HD}/weights/training.safetensors",
    output:
        f"{HD}/weights/{{generated}}.safetensors",
    wildcard_constraints:
        generated=r"generated(-\w+)?",
    params:
        seed=seed("hyperdiffusion.sample"),
        sampling=lambda w: config["hyperdiffusion"]["sampling"],
    log:
        logs("hyperdiffusion/sample/{generated}"),
    benchmark:
        bench("hyperdiffusion/sample/{generated}")
    threads: 1  # torch on more threads than free cores stalls on a shared machine
    resources:
        mem_mb=need("hd_sample"),
        runtime=120,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_sample.py"


rule hd_reference_clouds:
    input:
        split=f"{HD}/shapes/split.csv",
        training=f"{HD}/weights/training.safetensors",
    output:
        train=f"{HD}/clouds/reference_train.safetensors",
        test=f"{HD}/clouds/reference_test.safetensors",
    params:
        seed=seed("hyperdiffusion.reference_clouds"),
        points=lambda w: config["hyperdiffusion"]["evaluation"]["points"],
    log:
        logs("hyperdiffusion/clouds/reference"),
    benchmark:
        bench("hyperdiffusion/clouds/reference")
    resources:
        mem_mb=need("hd_reference_clouds"),
        runtime=120,
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_reference_clouds.py"


rule hd_summary:
    input:
        weights=expand(f"{HD}/weights/{{s}}.safetensors", s=HD_SETS),
        clouds=expand(f"{HD}/behaviour/{{s}}.safetensors", s=HD_SETS),
        tables=expand(f"{HD}/tables/{{s}}.csv", s=HD_SETS),
        train_ref=f"{HD}/clouds/reference_train.safetensors",
    output:
        f"{HD}/tables/summary.csv",
    params:
        sets=HD_SETS,
    log:
        logs("hyperdiffusion/tables/summary"),
    benchmark:
        bench("hyperdiffusion/tables/summary")
    resources:
        mem_mb=need("hd_summary"),
        runtime=240,
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_summary.py"


# one set's row of the summary (MMD / coverage to the training shapes, empties, mean min L2): the
# set-level performance of the modeling factors (its declaration) and of the permutation table
rule hd_set_summary:
    input:
        weights=f"{HD}/weights/{{set}}.safetensors",
        clouds=f"{HD}/behaviour/{{set}}.safetensors",
        table=f"{HD}/tables/{{set}}.csv",
        train_ref=f"{HD}/clouds/reference_train.safetensors",
    output:
        f"{HD}/tables/sets/{{set}}.csv",
    log:
        logs("hyperdiffusion/tables/sets/{set}"),
    benchmark:
        bench("hyperdiffusion/tables/sets/{set}")
    resources:
        mem_mb=need("hd_summary"),
        runtime=60,
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_set_summary.py"


# study output 10: the generator with 1, 3, 7 … permuted copies of every field added, beside the
# unaugmented one (hyperdiffusion.permutation_augmentation; declared as a target and a figure)
rule hd_permutation:
    input:
        [f"{HD}/tables/sets/{_factors.set_name(v)}.csv" for v in HD_PERMS],
    output:
        f"{HD}/tables/permutation_augmentation.csv",
    params:
        variants=list(HD_PERMS),
        copies=list(HD_PERMS.values()),
    log:
        logs("hyperdiffusion/tables/permutation_augmentation"),
    benchmark:
        bench("hyperdiffusion/tables/permutation_augmentation")
    resources:
        mem_mb=need("hd_permutation"),
        runtime=10,
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_permutation.py"


rule hd_figure_permutation:
    input:
        table=f"{HD}/tables/permutation_augmentation.csv",
        weights=[f"{HD}/weights/{_factors.set_name(v)}.safetensors" for v in HD_PERMS],
    output:
        report(f"{R}/figures/hyperdiffusion/permutation_augmentation.png",
               category="hyperdiffusion", caption="../report/permutation_augmentation.rst"),
    params:
        variants=list(HD_PERMS),
        n_show=4,
        figures=lambda w: config["hyperdiffusion"]["figures"],
        evaluation=lambda w: config["hyperdiffusion"]["evaluation"],
    log:
        logs("hyperdiffusion/figures/permutation_augmentation"),
    benchmark:
        bench("hyperdiffusion/figures/permutation_augmentation")
    resources:
        mem_mb=need("hd_figure_render_shapes"),
        runtime=60,
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_figure_permutation.py"

# HyperDiffusion: meshes → occupancy points → shared-init neural fields → diffusion transformer →
# DDIM samples → meshes / point clouds → Chamfer tables → figures (hyperdiffusion.md).
# Paths are literal (no {method} wildcard): the generic behaviour/table rules are for classifiers.


rule hd_airplanes:
    output:
        directory(f"{HD}/shapes/meshes"),
    params:
        shapes=lambda w: hd_cfg()["shapes"],
    log:
        f"{R}/logs/hyperdiffusion/shapes/airplanes.log",
    benchmark:
        f"{R}/benchmarks/hyperdiffusion/shapes/airplanes.tsv"
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
        meshes=lambda w: hd_mesh_dir() if Path(hd_mesh_dir()).exists() or hd_cfg()["shapes"]["source"] == "airplanes" else [],
    output:
        f"{HD}/shapes/split.csv",
    params:
        shapes=lambda w: hd_cfg()["shapes"],
        meshes=lambda w: hd_mesh_dir(),
    log:
        f"{R}/logs/hyperdiffusion/shapes/split.log",
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
        occupancy=lambda w: hd_cfg()["occupancy"],
        cache=f"{HD}/occupancy/cache",
    log:
        f"{R}/logs/hyperdiffusion/occupancy/shard{{shard}}.log",
    benchmark:
        f"{R}/benchmarks/hyperdiffusion/occupancy/shard{{shard}}.tsv"
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
        field=lambda w: hd_cfg()["field"],
    log:
        f"{R}/logs/hyperdiffusion/zoo/init.log",
    benchmark:
        f"{R}/benchmarks/hyperdiffusion/zoo/init.tsv"
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
        field=lambda w: hd_cfg()["field"],
    log:
        f"{R}/logs/hyperdiffusion/zoo/shard{{shard}}.log",
    benchmark:
        f"{R}/benchmarks/hyperdiffusion/zoo/shard{{shard}}.tsv"
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
        lambda w: expand(f"{HD}/zoo/shard{{shard}}.safetensors", shard=hd_shards()),
    output:
        f"{HD}/weights/training.safetensors",
    log:
        f"{R}/logs/hyperdiffusion/training_set.log",
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
    params:
        generator=lambda w: generator_config("hyperdiffusion", w.variant),
    log:
        f"{R}/logs/hyperdiffusion/generator/{{variant}}.log",
    benchmark:
        f"{R}/benchmarks/hyperdiffusion/generator/{{variant}}.tsv"
    threads: 1  # torch on more threads than free cores stalls on a shared machine
    resources:
        mem_mb=need("hd_fit"),
        runtime=2880,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_fit.py"


rule hd_sample:
    input:
        model=f"{HD}/generator/default/model.safetensors",
        training=f"{HD}/weights/training.safetensors",
    output:
        f"{HD}/weights/generated.safetensors",
    params:
        sampling=lambda w: hd_cfg()["sampling"],
    log:
        f"{R}/logs/hyperdiffusion/sample.log",
    benchmark:
        f"{R}/benchmarks/hyperdiffusion/sample.tsv"
    threads: 1  # torch on more threads than free cores stalls on a shared machine
    resources:
        mem_mb=need("hd_sample"),
        runtime=120,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_sample.py"


rule hd_noise_baseline:
    input:
        source=f"{HD}/weights/training.safetensors",
    output:
        f"{HD}/weights/noise{{amp}}.safetensors",
    params:
        noise=lambda w: noise_params("hyperdiffusion"),
    log:
        f"{R}/logs/hyperdiffusion/baselines/noise{{amp}}.log",
    resources:
        mem_mb=need("hd_noise_baseline"),
        runtime=20,
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/noise_baseline.py"


rule hd_reference_clouds:
    input:
        split=f"{HD}/shapes/split.csv",
        training=f"{HD}/weights/training.safetensors",
    output:
        train=f"{HD}/clouds/reference_train.safetensors",
        test=f"{HD}/clouds/reference_test.safetensors",
    params:
        points=lambda w: hd_cfg()["evaluation"]["points"],
    log:
        f"{R}/logs/hyperdiffusion/clouds/reference.log",
    benchmark:
        f"{R}/benchmarks/hyperdiffusion/clouds/reference.tsv"
    resources:
        mem_mb=need("hd_reference_clouds"),
        runtime=120,
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_reference_clouds.py"


rule hd_clouds:
    input:
        f"{HD}/weights/{{set}}.safetensors",
    output:
        f"{HD}/clouds/{{set}}.safetensors",
    params:
        evaluation=lambda w: hd_cfg()["evaluation"],
    log:
        f"{R}/logs/hyperdiffusion/clouds/{{set}}.log",
    benchmark:
        f"{R}/benchmarks/hyperdiffusion/clouds/{{set}}.tsv"
    resources:
        mem_mb=need("hd_clouds"),
        runtime=720,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_clouds.py"


rule hd_table:
    input:
        weights=f"{HD}/weights/{{set}}.safetensors",
        clouds=lambda w: [] if w.set == "training" else f"{HD}/clouds/{w.set}.safetensors",
        training=f"{HD}/weights/training.safetensors",
        train_ref=f"{HD}/clouds/reference_train.safetensors",
        test_ref=f"{HD}/clouds/reference_test.safetensors",
    output:
        f"{HD}/tables/{{set}}.csv",
    log:
        f"{R}/logs/hyperdiffusion/tables/{{set}}.log",
    benchmark:
        f"{R}/benchmarks/hyperdiffusion/tables/{{set}}.tsv"
    resources:
        mem_mb=need("hd_table"),
        runtime=720,
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_table.py"


rule hd_summary:
    input:
        weights=expand(f"{HD}/weights/{{s}}.safetensors", s=["training"] + hd_eval_sets()),
        clouds=expand(f"{HD}/clouds/{{s}}.safetensors", s=["training"] + hd_eval_sets()),
        tables=expand(f"{HD}/tables/{{s}}.csv", s=["training"] + hd_eval_sets()),
        train_ref=f"{HD}/clouds/reference_train.safetensors",
    output:
        f"{HD}/tables/summary.csv",
    params:
        sets=["training"] + hd_eval_sets(),
    log:
        f"{R}/logs/hyperdiffusion/tables/summary.log",
    resources:
        mem_mb=need("hd_summary"),
        runtime=240,
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_summary.py"


rule hd_figure_heatmap:
    input:
        generated=f"{HD}/weights/generated.safetensors",
        training=f"{HD}/weights/training.safetensors",
    output:
        report(f"{R}/figures/hyperdiffusion/heatmap.png", category="hyperdiffusion"),
    params:
        seed=lambda w: hd_cfg()["figures"]["seed"],
    log:
        f"{R}/logs/hyperdiffusion/figures/heatmap.log",
    resources:
        mem_mb=need("hd_figure_heatmap"),
        runtime=20,
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_figure_heatmap.py"


rule hd_figure_min_distance:
    input:
        training=f"{HD}/tables/training.csv",
        generated=f"{HD}/tables/generated.csv",
    output:
        report(f"{R}/figures/hyperdiffusion/min_distance_to_training.png", category="hyperdiffusion"),
    log:
        f"{R}/logs/hyperdiffusion/figures/min_distance_to_training.log",
    resources:
        mem_mb=need("hd_figure_min_distance"),
        runtime=10,
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_figure_min_distance.py"


rule hd_figure_render_shapes:
    input:
        generated=f"{HD}/weights/generated.safetensors",
        training=f"{HD}/weights/training.safetensors",
        table=f"{HD}/tables/generated.csv",
    output:
        report(f"{R}/figures/hyperdiffusion/render_shapes.png", category="hyperdiffusion"),
    params:
        resolution=lambda w: hd_cfg()["figures"]["render_resolution"],
        level=lambda w: hd_cfg()["evaluation"]["level"],
    log:
        f"{R}/logs/hyperdiffusion/figures/render_shapes.log",
    resources:
        mem_mb=need("hd_figure_render_shapes"),
        runtime=30,
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_figure_render_shapes.py"


rule hd_figure_performance_vs_novelty:
    input:
        training=f"{HD}/tables/training.csv",
        generated=f"{HD}/tables/generated.csv",
        noise=expand(f"{HD}/tables/{{s}}.csv", s=hd_eval_sets()[1:]),
    output:
        report(f"{R}/figures/hyperdiffusion/performance_vs_novelty.png", category="hyperdiffusion"),
    params:
        noise_sets=hd_eval_sets()[1:],
        seed=lambda w: hd_cfg()["figures"]["seed"],
    log:
        f"{R}/logs/hyperdiffusion/figures/performance_vs_novelty.log",
    resources:
        mem_mb=need("hd_figure_performance_vs_novelty"),
        runtime=10,
    conda:
        "../envs/hyperdiffusion.yaml"
    script:
        "../workflow/scripts/hd_figure_performance_vs_novelty.py"

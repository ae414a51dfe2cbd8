# P-diff (pdiff.md): base ResNet-18 -> "extra epoch" (300 consecutive BN checkpoints) ->
# parameter autoencoder + latent DDPM -> samples; average/gaussian baselines.
# The generic rules (noise_baseline, table, heatmap, min-distance, performance-vs-novelty) are
# reused as they are. Behaviour and decision boundaries need the frozen base network, so P-diff
# has its own two rules, preferred over the generic ones for results/pdiff/... by ruleorder.

ruleorder: pdiff_behaviour > behaviour
ruleorder: pdiff_figure_decision_boundary > figure_decision_boundary


localrules:
    pdiff_interpolation_baseline,
    pdiff_figure_param_distribution,
    pdiff_figure_interpolate,


rule pdiff_base:
    input:
        data=lambda w: dataset_of("pdiff"),
    output:
        model=f"{R}/pdiff/base/model.safetensors",
        curve=f"{R}/pdiff/base/train_log.csv",
    params:
        base=lambda w: config["pdiff"]["base"],
    log:
        f"{R}/logs/pdiff/base.log",
    benchmark:
        f"{R}/benchmarks/pdiff/base.tsv"
    threads: 2
    resources:
        mem_mb=need("pdiff_base"),
        runtime=240,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/pdiff.yaml"
    script:
        "../workflow/scripts/pdiff_base.py"


rule pdiff_collect:
    input:
        base=f"{R}/pdiff/base/model.safetensors",
        data=lambda w: dataset_of("pdiff"),
    output:
        f"{R}/pdiff/weights/training.safetensors",
    params:
        collect=lambda w: config["pdiff"]["collect"],
    log:
        f"{R}/logs/pdiff/collect.log",
    benchmark:
        f"{R}/benchmarks/pdiff/collect.tsv"
    threads: 2
    resources:
        mem_mb=need("pdiff_collect"),
        runtime=120,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/pdiff.yaml"
    script:
        "../workflow/scripts/pdiff_collect.py"


rule pdiff_fit:
    input:
        training=f"{R}/pdiff/weights/training.safetensors",
    output:
        model=f"{R}/pdiff/generator/default/model.safetensors",
        curve=f"{R}/pdiff/generator/default/train_log.csv",
    params:
        generator=lambda w: config["pdiff"]["generator"],
    log:
        f"{R}/logs/pdiff/generator/default.log",
    benchmark:
        f"{R}/benchmarks/pdiff/generator/default.tsv"
    threads: 2
    resources:
        mem_mb=need("pdiff_fit"),
        runtime=120,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/pdiff.yaml"
    script:
        "../workflow/scripts/pdiff_fit.py"


rule pdiff_sample:
    input:
        model=f"{R}/pdiff/generator/default/model.safetensors",
    output:
        f"{R}/pdiff/weights/generated.safetensors",
    params:
        sampling=lambda w: config["pdiff"]["sampling"],
    log:
        f"{R}/logs/pdiff/sample.log",
    benchmark:
        f"{R}/benchmarks/pdiff/sample.tsv"
    threads: 2
    resources:
        mem_mb=need("pdiff_sample"),
        runtime=120,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/pdiff.yaml"
    script:
        "../workflow/scripts/pdiff_sample.py"


rule pdiff_interpolation_baseline:
    input:
        source=f"{R}/pdiff/weights/training.safetensors",
    output:
        f"{R}/pdiff/weights/{{kind}}.safetensors",
    wildcard_constraints:
        kind="average|gaussian",
    params:
        baselines=lambda w: config["pdiff"]["baselines"],
    log:
        f"{R}/logs/pdiff/baselines/{{kind}}.log",
    resources:
        mem_mb=need("pdiff_interpolation_baseline"),
        runtime=20,
    conda:
        "../envs/pdiff.yaml"
    script:
        "../workflow/scripts/pdiff_interpolation_baseline.py"


rule pdiff_behaviour:
    input:
        weights=f"{R}/pdiff/weights/{{set}}.safetensors",
        base=f"{R}/pdiff/base/model.safetensors",
        data=lambda w: dataset_of("pdiff"),
    output:
        f"{R}/pdiff/behaviour/{{set}}.safetensors",
    log:
        f"{R}/logs/pdiff/behaviour/{{set}}.log",
    benchmark:
        f"{R}/benchmarks/pdiff/behaviour/{{set}}.tsv"
    threads: 2
    resources:
        mem_mb=need("pdiff_behaviour"),
        runtime=240,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/pdiff.yaml"
    script:
        "../workflow/scripts/pdiff_behaviour.py"


rule pdiff_figure_decision_boundary:
    input:
        generated=f"{R}/pdiff/weights/generated.safetensors",
        training=f"{R}/pdiff/weights/training.safetensors",
        table=f"{R}/pdiff/tables/generated.csv",
        base=f"{R}/pdiff/base/model.safetensors",
        data=lambda w: dataset_of("pdiff"),
    output:
        report(f"{R}/figures/pdiff/decision_boundary.png", category="pdiff"),
    params:
        res=lambda w: config["pdiff"]["figures"]["grid_resolution"],
        n_classes=lambda w: config["pdiff"]["figures"]["boundary_classes"],
        class_seed=lambda w: config["pdiff"]["figures"]["class_seed"],
    log:
        f"{R}/logs/pdiff/figures/decision_boundary.log",
    benchmark:
        f"{R}/benchmarks/pdiff/figures/decision_boundary.tsv"
    resources:
        mem_mb=need("pdiff_figure_decision_boundary"),
        runtime=60,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/pdiff.yaml"
    script:
        "../workflow/scripts/pdiff_figure_decision_boundary.py"


rule pdiff_figure_param_distribution:
    input:
        training=f"{R}/pdiff/weights/training.safetensors",
        generated=f"{R}/pdiff/weights/generated.safetensors",
    output:
        report(f"{R}/figures/pdiff/param_value_distribution.png", category="pdiff"),
    params:
        seed=lambda w: config["pdiff"]["figures"]["seed"],
    log:
        f"{R}/logs/pdiff/figures/param_value_distribution.log",
    resources:
        mem_mb=need("pdiff_figure_param_distribution"),
        runtime=10,
    conda:
        "../envs/pdiff.yaml"
    script:
        "../workflow/scripts/pdiff_figure_param_distribution.py"


rule pdiff_figure_interpolate:
    input:
        training=f"{R}/pdiff/tables/training.csv",
        generated=f"{R}/pdiff/tables/generated.csv",
        average=f"{R}/pdiff/tables/average.csv",
        gaussian=f"{R}/pdiff/tables/gaussian.csv",
    output:
        report(f"{R}/figures/pdiff/performance_vs_novelty_interpolate.png", category="pdiff"),
    params:
        seed=lambda w: config["pdiff"]["figures"]["seed"],
    log:
        f"{R}/logs/pdiff/figures/performance_vs_novelty_interpolate.log",
    resources:
        mem_mb=need("pdiff_figure_interpolate"),
        runtime=10,
    conda:
        "../envs/pdiff.yaml"
    script:
        "../workflow/scripts/pdiff_figure_interpolate.py"


rule pdiff_figure_tsne:
    input:
        training=f"{R}/pdiff/weights/training.safetensors",
        generated=f"{R}/pdiff/weights/generated.safetensors",
        average=f"{R}/pdiff/weights/average.safetensors",
        gaussian=f"{R}/pdiff/weights/gaussian.safetensors",
    output:
        report(f"{R}/figures/pdiff/tsne_interpolate.png", category="pdiff"),
    params:
        seed=lambda w: config["pdiff"]["figures"]["seed"],
    log:
        f"{R}/logs/pdiff/figures/tsne_interpolate.log",
    benchmark:
        f"{R}/benchmarks/pdiff/figures/tsne_interpolate.tsv"
    resources:
        mem_mb=need("pdiff_figure_tsne"),
        runtime=20,
    conda:
        "../envs/pdiff.yaml"
    script:
        "../workflow/scripts/pdiff_figure_tsne.py"

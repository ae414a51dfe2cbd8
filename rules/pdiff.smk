# P-diff (docs/pdiff.md): base ResNet-18 -> "extra epoch" (300 consecutive BN checkpoints) ->
# parameter autoencoder + latent DDPM -> samples; average/gaussian baselines; its three own figures.
# Behaviour and decision boundaries are the shared rules, with the base network as the declared
# context (weightmem.methods.pdiff).


rule pdiff_base:
    input:
        data=lambda w: dataset_of("pdiff"),
    output:
        model=f"{R}/pdiff/base/model.safetensors",
        curve=f"{R}/pdiff/base/train_log.csv",
    params:
        seed=seed("pdiff.base"),
        base=lambda w: config["pdiff"]["base"],
    log:
        logs("pdiff/base"),
    benchmark:
        bench("pdiff/base")
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
        seed=seed("pdiff.collect"),
        collect=lambda w: config["pdiff"]["collect"],
    log:
        logs("pdiff/collect"),
    benchmark:
        bench("pdiff/collect")
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
        seed=seed("pdiff.fit"),
        generator=lambda w: config["pdiff"]["generator"],
    log:
        logs("pdiff/generator/default"),
    benchmark:
        bench("pdiff/generator/default")
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
        seed=seed("pdiff.sample"),
        sampling=lambda w: config["pdiff"]["sampling"],
    log:
        logs("pdiff/sample"),
    benchmark:
        bench("pdiff/sample")
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
        seed=lambda w: seed(w.kind),
        baselines=lambda w: config["pdiff"]["baselines"],
    log:
        logs("pdiff/baselines/{kind}"),
    benchmark:
        bench("pdiff/baselines/{kind}")
    resources:
        mem_mb=need("pdiff_interpolation_baseline"),
        runtime=20,
    conda:
        "../envs/pdiff.yaml"
    script:
        "../workflow/scripts/pdiff_interpolation_baseline.py"


rule pdiff_figure_param_distribution:
    input:
        training=f"{R}/pdiff/weights/training.safetensors",
        generated=f"{R}/pdiff/weights/generated.safetensors",
    output:
        report(f"{R}/figures/pdiff/param_value_distribution.png", category="pdiff"),
    params:
        seed=lambda w: config["pdiff"]["figures"]["seed"],
    log:
        logs("pdiff/figures/param_value_distribution"),
    benchmark:
        bench("pdiff/figures/param_value_distribution")
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
        logs("pdiff/figures/performance_vs_novelty_interpolate"),
    benchmark:
        bench("pdiff/figures/performance_vs_novelty_interpolate")
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
        logs("pdiff/figures/tsne_interpolate"),
    benchmark:
        bench("pdiff/figures/tsne_interpolate")
    resources:
        mem_mb=need("pdiff_figure_tsne"),
        runtime=20,
    conda:
        "../envs/pdiff.yaml"
    script:
        "../workflow/scripts/pdiff_figure_tsne.py"

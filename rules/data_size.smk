# The data-size experiment (config/data-size.yaml; weightmem.datasize): G.pt trained on nested
# subsets of its training runs ({size} = the fraction, e.g. 0.25), prompted with the same held-out
# inits; each size measured against its own training set, with the held-out runs as H of the
# Z_U copying test. Size 1 is the default generator (rules/gpt.smk), not retrained.


localrules:
    data_size_runs,
    data_size_table,
    data_size_figure,


rule data_size_runs:
    input:
        training=f"{R}/gpt/weights/training.safetensors",
    output:
        f"{R}/gpt/data_size/{{size}}/runs.csv",
    wildcard_constraints:
        size=r"[0-9.]+",
    params:
        seed=seed("gpt.data_size"),
    log:
        logs("gpt/data_size/{size}/runs"),
    benchmark:
        bench("gpt/data_size/{size}/runs")
    resources:
        mem_mb=need("data_size_runs"),
        runtime=10,
    conda:
        "../envs/gpt.yaml"
    script:
        "../workflow/scripts/data_size_runs.py"


rule data_size_fit:
    input:
        zoo=f"{R}/gpt/zoo/checkpoints.safetensors",
        training=f"{R}/gpt/weights/training.safetensors",
        runs=f"{R}/gpt/data_size/{{size}}/runs.csv",
    output:
        model=f"{R}/gpt/data_size/{{size}}/generator/model.safetensors",
        curve=f"{R}/gpt/data_size/{{size}}/generator/train_log.csv",
    wildcard_constraints:
        size=r"[0-9.]+",
    params:
        seed=seed("gpt.fit"),  # the default generator's seed: only the runs differ
        generator=lambda w: generator_config("gpt", "default"),
    log:
        logs("gpt/data_size/{size}/fit"),
    benchmark:
        bench("gpt/data_size/{size}/fit")
    threads: 2
    resources:
        mem_mb=need("data_size_fit"),
        runtime=2880,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/gpt.yaml"
    script:
        "../workflow/scripts/data_size_fit.py"


# gpt_sample's own script: the same prompts, seed and sampling settings as the default
rule data_size_sample:
    input:
        model=f"{R}/gpt/data_size/{{size}}/generator/model.safetensors",
        zoo=f"{R}/gpt/zoo/checkpoints.safetensors",
        training=f"{R}/gpt/weights/training.safetensors",
        data=dataset_of("gpt"),
    output:
        f"{R}/gpt/data_size/{{size}}/generated.safetensors",
    wildcard_constraints:
        size=r"[0-9.]+",
    params:
        seed=seed("gpt.sample"),
        sampling=lambda w: config["gpt"]["sampling"],
    log:
        logs("gpt/data_size/{size}/sample"),
    benchmark:
        bench("gpt/data_size/{size}/sample")
    threads: 2
    resources:
        mem_mb=need("data_size_sample"),
        runtime=120,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/gpt.yaml"
    script:
        "../workflow/scripts/gpt_sample.py"


rule data_size_eval:
    input:
        generated=size_generated,
        heldout=f"{R}/gpt/weights/heldout.safetensors",
        training=f"{R}/gpt/weights/training.safetensors",
        runs=f"{R}/gpt/data_size/{{size}}/runs.csv",
        data=dataset_of("gpt"),
    output:
        f"{R}/gpt/data_size/{{size}}/models.csv",
    wildcard_constraints:
        size=r"[0-9.]+",
    params:
        distance=lambda w: distance_of("gpt"),
    log:
        logs("gpt/data_size/{size}/eval"),
    benchmark:
        bench("gpt/data_size/{size}/eval")
    threads: 2
    resources:
        mem_mb=need("data_size_eval"),
        runtime=60,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/data_size_eval.py"


rule data_size_table:
    input:
        models=expand(f"{R}/gpt/data_size/{{size}}/models.csv", size=data_sizes()),
    output:
        f"{R}/tables/data_size.csv",
    params:
        sizes=data_sizes(),
    log:
        logs("analysis/data_size"),
    benchmark:
        bench("analysis/data_size")
    resources:
        mem_mb=need("data_size_table"),
        runtime=10,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/data_size_table.py"


rule data_size_figure:
    input:
        f"{R}/tables/data_size.csv",
    output:
        report(f"{R}/figures/gpt/data_size.png", category="gpt",
               caption="../report/data_size.rst"),
    log:
        logs("gpt/figures/data_size"),
    benchmark:
        bench("gpt/figures/data_size")
    resources:
        mem_mb=need("data_size_figure"),
        runtime=10,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/data_size_figure.py"

# Fit each generator, then sample from it.


rule gpt_fit:
    input:
        zoo=f"{R}/gpt/zoo/checkpoints.safetensors",
        training=f"{R}/gpt/weights/training.safetensors",
    output:
        model=f"{R}/gpt/generator/{{variant}}/model.safetensors",
        curve=f"{R}/gpt/generator/{{variant}}/train_log.csv",
    params:
        generator=lambda w: generator_config("gpt", w.variant),
    log:
        f"{R}/logs/gpt/generator/{{variant}}.log",
    benchmark:
        f"{R}/benchmarks/gpt/generator/{{variant}}.tsv"
    threads: 2
    resources:
        mem_mb=need("gpt_fit"),
        runtime=2880,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/gpt.yaml"
    script:
        "../workflow/scripts/gpt_fit.py"


rule gpt_sample:
    input:
        model=lambda w: f"{R}/gpt/generator/{_factors.variant_of(w.generated)}/model.safetensors",
        zoo=f"{R}/gpt/zoo/checkpoints.safetensors",
        training=f"{R}/gpt/weights/training.safetensors",
        data=dataset_of("gpt"),
    output:
        f"{R}/gpt/weights/{{generated}}.safetensors",
    wildcard_constraints:
        generated=r"generated(-\w+)?",
    params:
        sampling=config["gpt"]["sampling"] if "gpt" in config else {},
    log:
        f"{R}/logs/gpt/sample/{{generated}}.log",
    benchmark:
        f"{R}/benchmarks/gpt/sample/{{generated}}.tsv"
    threads: 2
    resources:
        mem_mb=need("gpt_sample"),
        runtime=120,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/gpt.yaml"
    script:
        "../workflow/scripts/gpt_sample.py"

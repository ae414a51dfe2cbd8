# Training-checkpoint zoos, trained batched and sharded into a configurable number of jobs.


rule gpt_zoo_shard:
    input:
        data=dataset_of("gpt"),
    output:
        f"{R}/gpt/zoo/shard{{shard}}.safetensors",
    params:
        zoo=config["gpt"]["zoo"] if "gpt" in config else {},
    log:
        f"{R}/logs/gpt/zoo/shard{{shard}}.log",
    benchmark:
        f"{R}/benchmarks/gpt/zoo/shard{{shard}}.tsv"
    threads: 2
    resources:
        mem_mb=need("gpt_zoo_shard"),
        runtime=240,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/gpt.yaml"
    script:
        "../workflow/scripts/gpt_zoo.py"


rule gpt_zoo_merge:
    input:
        lambda w: expand(
            f"{R}/gpt/zoo/shard{{shard}}.safetensors",
            shard=range(config["gpt"]["zoo"]["shards"]),
        ),
    output:
        f"{R}/gpt/zoo/checkpoints.safetensors",
    log:
        f"{R}/logs/gpt/zoo/merge.log",
    resources:
        mem_mb=need("gpt_zoo_merge"),
        runtime=60,
    conda:
        "../envs/gpt.yaml"
    script:
        "../workflow/scripts/gpt_zoo_merge.py"


rule gpt_training_set:
    input:
        zoo=f"{R}/gpt/zoo/checkpoints.safetensors",
    output:
        f"{R}/gpt/weights/training.safetensors",
    params:
        target_std=config["gpt"]["normalisation_target_std"] if "gpt" in config else 0.538,
    log:
        f"{R}/logs/gpt/training_set.log",
    resources:
        mem_mb=need("gpt_training_set"),
        runtime=30,
    conda:
        "../envs/gpt.yaml"
    script:
        "../workflow/scripts/gpt_training_set.py"

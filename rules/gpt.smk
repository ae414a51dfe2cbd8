# G.pt (docs/gpt.md): MLP zoo (trained batched, sharded) → training set → loss-conditioned
# diffusion transformer ({variant} = default or a modeling-factor variant) → one-step prompting.


rule gpt_zoo_shard:
    input:
        data=dataset_of("gpt"),
    output:
        f"{R}/gpt/zoo/shard{{shard}}.safetensors",
    params:
        seed=seed("gpt.zoo"),
        zoo=config["gpt"]["zoo"],
    log:
        logs("gpt/zoo/shard{shard}"),
    benchmark:
        bench("gpt/zoo/shard{shard}")
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
        logs("gpt/zoo/merge"),
    benchmark:
        bench("gpt/zoo/merge")
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
        target_std=config["gpt"]["normalisation_target_std"],
    log:
        logs("gpt/training_set"),
    benchmark:
        bench("gpt/training_set")
    resources:
        mem_mb=need("gpt_training_set"),
        runtime=30,
    conda:
        "../envs/gpt.yaml"
    script:
        "../workflow/scripts/gpt_training_set.py"

rule gpt_heldout_set:
    input:
        zoo=f"{R}/gpt/zoo/checkpoints.safetensors",
    output:
        f"{R}/gpt/weights/heldout.safetensors",
    log:
        logs("gpt/heldout_set"),
    benchmark:
        bench("gpt/heldout_set")
    resources:
        mem_mb=need("gpt_heldout_set"),
        runtime=30,
    conda:
        "../envs/gpt.yaml"
    script:
        "../workflow/scripts/gpt_heldout_set.py"


rule gpt_fit:
    input:
        zoo=f"{R}/gpt/zoo/checkpoints.safetensors",
        training=f"{R}/gpt/weights/training.safetensors",
    output:
        model=f"{R}/gpt/generator/{{variant}}/model.safetensors",
        curve=f"{R}/gpt/generator/{{variant}}/train_log.csv",
    params:
        seed=seed("gpt.fit"),
        generator=lambda w: generator_config("gpt", w.variant),
    log:
        logs("gpt/generator/{variant}"),
    benchmark:
        bench("gpt/generator/{variant}")
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
        seed=seed("gpt.sample"),
        sampling=config["gpt"]["sampling"],
    log:
        logs("gpt/sample/{generated}"),
    benchmark:
        bench("gpt/sample/{generated}")
    threads: 2
    resources:
        mem_mb=need("gpt_sample"),
        runtime=120,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/gpt.yaml"
    script:
        "../workflow/scripts/gpt_sample.py"

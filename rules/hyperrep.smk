# Hyper-Representations (hyperrep.md): CNN zoo → transformer autoencoder → reconstructions as the
# "training" reference → per-dimension KDE samples. Evaluation, baselines and figures are the
# generic rules of evaluate/baselines/figures.smk.


rule hyperrep_zoo_shard:
    input:
        data=dataset_of("hyperrep") if "hyperrep" in config else [],
    output:
        f"{R}/hyperrep/zoo/shard{{shard}}.safetensors",
    params:
        zoo=config["hyperrep"]["zoo"] if "hyperrep" in config else {},
    log:
        f"{R}/logs/hyperrep/zoo/shard{{shard}}.log",
    benchmark:
        f"{R}/benchmarks/hyperrep/zoo/shard{{shard}}.tsv"
    threads: 1
    resources:
        mem_mb=need("hyperrep_zoo_shard"),
        runtime=600,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/hyperrep.yaml"
    script:
        "../workflow/scripts/hyperrep_zoo.py"


rule hyperrep_zoo_merge:
    input:
        lambda w: expand(
            f"{R}/hyperrep/zoo/shard{{shard}}.safetensors",
            shard=range(config["hyperrep"]["zoo"]["shards"]),
        ),
    output:
        f"{R}/hyperrep/zoo/checkpoints.safetensors",
    log:
        f"{R}/logs/hyperrep/zoo/merge.log",
    resources:
        mem_mb=need("hyperrep_zoo_merge"),
        runtime=30,
    conda:
        "../envs/hyperrep.yaml"
    script:
        "../workflow/scripts/hyperrep_zoo_merge.py"


rule hyperrep_fit:
    input:
        zoo=f"{R}/hyperrep/zoo/checkpoints.safetensors",
    output:
        model=f"{R}/hyperrep/generator/{{variant}}/model.safetensors",
        curve=f"{R}/hyperrep/generator/{{variant}}/train_log.csv",
    params:
        generator=lambda w: generator_config("hyperrep", w.variant),
    log:
        f"{R}/logs/hyperrep/generator/{{variant}}.log",
    benchmark:
        f"{R}/benchmarks/hyperrep/generator/{{variant}}.tsv"
    threads: 1
    resources:
        mem_mb=need("hyperrep_fit"),
        runtime=2880,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/hyperrep.yaml"
    script:
        "../workflow/scripts/hyperrep_fit.py"


rule hyperrep_reference:
    input:
        model=f"{R}/hyperrep/generator/default/model.safetensors",
        zoo=f"{R}/hyperrep/zoo/checkpoints.safetensors",
    output:
        training=f"{R}/hyperrep/weights/training.safetensors",
        final=f"{R}/hyperrep/weights/training-final.safetensors",
        top=f"{R}/hyperrep/weights/training-top.safetensors",
    params:
        top_fraction=config["hyperrep"]["sampling"]["top_fraction"] if "hyperrep" in config else 0.3,
    log:
        f"{R}/logs/hyperrep/reference.log",
    benchmark:
        f"{R}/benchmarks/hyperrep/reference.tsv"
    threads: 1
    resources:
        mem_mb=need("hyperrep_reference"),
        runtime=60,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/hyperrep.yaml"
    script:
        "../workflow/scripts/hyperrep_reference.py"


rule hyperrep_sample:
    input:
        model=f"{R}/hyperrep/generator/default/model.safetensors",
        zoo=f"{R}/hyperrep/zoo/checkpoints.safetensors",
    output:
        f"{R}/hyperrep/weights/{{gen}}.safetensors",
    wildcard_constraints:
        gen="generated(-[a-z]+)?",
    params:
        sampling=config["hyperrep"]["sampling"] if "hyperrep" in config else {},
        sampler=lambda w: "study" if w.gen == "generated" else w.gen.split("-", 1)[1],
    log:
        f"{R}/logs/hyperrep/sample/{{gen}}.log",
    benchmark:
        f"{R}/benchmarks/hyperrep/sample/{{gen}}.tsv"
    threads: 1
    resources:
        mem_mb=need("hyperrep_sample"),
        runtime=60,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/hyperrep.yaml"
    script:
        "../workflow/scripts/hyperrep_sample.py"

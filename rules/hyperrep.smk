# Hyper-Representations (docs/hyperrep.md): CNN zoo → transformer autoencoder → reconstructions as
# the "training" reference → per-dimension KDE samples; the invariance analysis. Evaluation,
# baselines and figures are the shared rules. A modeling-factor variant ({variant}) is a
# retrained autoencoder with its own reconstructions (training-<variant>, the reference its
# samples generated-<variant> are scored against; weightmem.methods.hyperrep).
from weightmem.methods import hyperrep as _hr  # noqa: E402

HR_VARIANTS = "|".join(config["hyperrep"].get("modeling_factors") or {}) or "no-variant"


rule hyperrep_zoo_shard:
    input:
        data=dataset_of("hyperrep"),
    output:
        f"{R}/hyperrep/zoo/shard{{shard}}.safetensors",
    params:
        seed=seed("hyperrep.zoo"),
        zoo=config["hyperrep"]["zoo"],
    log:
        logs("hyperrep/zoo/shard{shard}"),
    benchmark:
        bench("hyperrep/zoo/shard{shard}")
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
        logs("hyperrep/zoo/merge"),
    benchmark:
        bench("hyperrep/zoo/merge")
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
        seed=seed("hyperrep.fit"),
        generator=lambda w: generator_config("hyperrep", w.variant),
    log:
        logs("hyperrep/generator/{variant}"),
    benchmark:
        bench("hyperrep/generator/{variant}")
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
        top_fraction=config["hyperrep"]["sampling"]["top_fraction"],
    log:
        logs("hyperrep/reference"),
    benchmark:
        bench("hyperrep/reference")
    threads: 1
    resources:
        mem_mb=need("hyperrep_reference"),
        runtime=60,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/hyperrep.yaml"
    script:
        "../workflow/scripts/hyperrep_reference.py"


# a modeling-factor variant's reconstructions (the default's are rule hyperrep_reference)
use rule hyperrep_reference as hyperrep_reference_variant with:
    input:
        model=f"{R}/hyperrep/generator/{{variant}}/model.safetensors",
        zoo=f"{R}/hyperrep/zoo/checkpoints.safetensors",
    output:
        training=f"{R}/hyperrep/weights/training-{{variant}}.safetensors",
        final=f"{R}/hyperrep/weights/training-final-{{variant}}.safetensors",
        top=f"{R}/hyperrep/weights/training-top-{{variant}}.safetensors",
    wildcard_constraints:
        variant=HR_VARIANTS,
    log:
        logs("hyperrep/reference-{variant}"),
    benchmark:
        bench("hyperrep/reference-{variant}")


# 'generated' (study sampler), 'generated-<sampler>' (another sampler) or 'generated-<variant>'
# (a modeling-factor variant's autoencoder, study sampler): weightmem.methods.hyperrep.sample_plan
rule hyperrep_sample:
    input:
        model=lambda w: f"{R}/hyperrep/generator/"
        f"{_hr.sample_plan(w.gen, config['hyperrep'])[0]}/model.safetensors",
        zoo=f"{R}/hyperrep/zoo/checkpoints.safetensors",
    output:
        f"{R}/hyperrep/weights/{{gen}}.safetensors",
    wildcard_constraints:
        gen=r"generated(-\w+)?",
    params:
        sampling=config["hyperrep"]["sampling"],
        sampler=lambda w: _hr.sample_plan(w.gen, config["hyperrep"])[1],
    log:
        logs("hyperrep/sample/{gen}"),
    benchmark:
        bench("hyperrep/sample/{gen}")
    threads: 1
    resources:
        mem_mb=need("hyperrep_sample"),
        runtime=60,
        gpu=gpu_if_cuda(),
    conda:
        "../envs/hyperrep.yaml"
    script:
        "../workflow/scripts/hyperrep_sample.py"


# study output 9: weight-symmetry invariance of the autoencoder (declared as its analysis table)
rule hyperrep_invariance:
    input:
        model=f"{R}/hyperrep/generator/default/model.safetensors",
        zoo=f"{R}/hyperrep/zoo/checkpoints.safetensors",
        data=dataset_of("hyperrep"),
    output:
        f"{R}/tables/invariance.csv",
    params:
        seed=seed("analysis.invariance"),
        invariance=config["hyperrep"]["invariance"],
    log:
        logs("analysis/invariance"),
    benchmark:
        bench("analysis/invariance")
    threads: 1
    resources:
        mem_mb=need("hyperrep_invariance"),
        runtime=60,
    conda:
        "../envs/hyperrep.yaml"
    script:
        "../workflow/scripts/hyperrep_invariance.py"


# its bars, this run beside the paper's (declared as a section figure with the invariance table)
rule hyperrep_figure_invariance:
    input:
        table=f"{R}/tables/invariance.csv",
        paper=PAPER_NUMBERS,
    output:
        report(f"{R}/figures/hyperrep/invariance.png", category="hyperrep",
               caption="../report/invariance.rst"),
    log:
        logs("hyperrep/figures/invariance"),
    benchmark:
        bench("hyperrep/figures/invariance")
    resources:
        mem_mb=need("hyperrep_figure_invariance"),
        runtime=10,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/hyperrep_figure_invariance.py"

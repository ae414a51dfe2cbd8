"""Findings over seeds (weightmem.seedreport) and the `weightmem seeds` driver's commands."""
import pandas as pd
import pytest

from weightmem import cli, seedreport


def findings(f1_holds, z):
    return pd.DataFrame({
        "finding": ["F1", "F3", "F4"], "method": ["gpt"] * 3,
        "holds": [f1_holds, False, True], "claim": ["copies", "behaves alike", "no better"],
        "evidence": ["e1", "e3", "e4"], "verdict": ["copies" if f1_holds else "does-not-copy",
                                                   "inconclusive", None],
        "z_u": [z, -1.0, float("nan")], "p_value": [0.001, 0.2, float("nan")]})


def summary(gen_l2):
    return pd.DataFrame({"method": ["gpt"] * 2, "set": ["training", "generated"],
                         "models": [24, 5], "excluded": [0, 0], "quality": [95.0, 30.0],
                         "novelty": [0.2, 0.9], "median_min_l2": [9.0, gen_l2]})


def test_a_finding_that_holds_in_some_seeds_only_says_it_rests_on_the_seed():
    long = seedreport.by_seed({0: findings(True, -4.0), 1: findings(False, -1.5),
                               2: findings(True, -3.9)})
    assert long.seed.tolist() == [0] * 3 + [1] * 3 + [2] * 3 and long.holds.dtype == bool
    over = seedreport.across(long).set_index("finding")
    f1, f3, f4 = over.loc["F1"], over.loc["F3"], over.loc["F4"]
    assert f1.holds_in == 2 and not f1.holds_in_all_seeds
    assert "2 of 3 seeds (seed 0, 2)" in f1.status and "rests on the seed" in f1.status
    assert f1.z_u_seed1 == -1.5 and f1.verdict_seed0 == "copies"
    assert f3.holds_in == 0 and f3.status == "holds in none of the 3 seeds"
    assert f4.holds_in_all_seeds and f4.status == "holds in all 3 seeds"


def test_a_finding_missing_in_a_seed_counts_as_not_holding_there():
    a, b = findings(True, -4.0), findings(True, -4.0)
    b = b[b.finding != "F4"]
    over = seedreport.across(seedreport.by_seed({0: a, 1: b})).set_index("finding")
    assert not over.loc["F4"].holds_in_all_seeds
    assert "not stated for seed 1" in over.loc["F4"].status


def test_holds_read_back_from_csv_and_bad_values_refused(tmp_path):
    p = tmp_path / "f.csv"
    findings(True, -4.0).to_csv(p, index=False)
    long = seedreport.by_seed({0: pd.read_csv(p)})
    assert long.holds.tolist() == [True, False, True]
    bad = findings(True, -4.0).assign(holds=["yes", "no", "no"])
    with pytest.raises(ValueError, match="True or False"):
        seedreport.by_seed({0: bad})
    with pytest.raises(ValueError, match="no seeds"):
        seedreport.by_seed({})


def test_numbers_per_seed_with_mean_and_sd(tmp_path):
    n = seedreport.numbers({0: summary(8.0), 1: summary(10.0)}).set_index("set")
    g = n.loc["generated"]
    assert (g.median_min_l2_seed0, g.median_min_l2_seed1) == (8.0, 10.0)
    assert g.median_min_l2_mean == 9.0 and g.median_min_l2_sd == pytest.approx(2 ** 0.5)
    page = seedreport.html_page(seedreport.across(seedreport.by_seed({0: findings(True, -4),
                                                                       1: findings(True, -4)})),
                                seedreport.by_seed({0: findings(True, -4)}), n.reset_index(),
                                {0: "seed0", 1: "seed1"})
    assert "seed0/report.html" in page and "Holding in every seed: 2 of 3" in page


def test_the_driver_runs_every_seed_into_its_own_folder_then_the_report(tmp_path):
    over = tmp_path / "s.yaml"
    over.write_text("results: out\nseeds: [3, 5]\n")
    per_seed, final = cli.seed_commands([str(over)], ["-n"])
    assert len(per_seed) == 2
    c = per_seed[1]
    assert "out/seed5/report.html" in c and c[-3:] == ["--config", "seed=5", "results=out/seed5"]
    assert c[c.index("--configfile") + 1] == str(over) and "-n" in c and "--cores" in c
    assert "out/seeds.html" in final and "--config" not in final
    with pytest.raises(ValueError, match="no seeds"):
        cli.seed_commands([], [])
    with pytest.raises(ValueError, match="per seed"):
        cli.seed_commands([str(over)], ["--config", "x=1"])


def test_zoo_run_seeds_of_different_config_seeds_never_overlap():
    from weightmem.seeds import OFFSETS, PER_RUN, seed_for

    # seed 0 keeps the seeds the stages have always had
    assert all(seed_for(0, stage) == off for stage, off in OFFSETS.items())
    runs = 1000 + 10_728  # Hyper-Rep's + 1000, the paper's G.pt zoo
    for stage in PER_RUN:
        ranges = [set(range(seed_for(b, stage), seed_for(b, stage) + runs)) for b in range(4)]
        for i in range(4):
            for j in range(i + 1, 4):
                assert not ranges[i] & ranges[j], (stage, i, j)
    # single-stream stages still move by one
    assert seed_for(1, "gpt.fit") == OFFSETS["gpt.fit"] + 1
    with pytest.raises(KeyError, match="no seed offset"):
        seed_for(0, "no.such.stage")

"""A council's care model from its published figures: it starts at the published stock, keeps the
published margins, conserves children, and says what it assumed.

Published figures below were read by hand from tests/data/dfe_la (lines quoted in comments).
"""
import os
import shutil

import numpy as np
import pytest

import carecast
from carecast.care import run
from carecast.cli import main
from carecast.councils import load_dataset
from carecast.councils.model import CouncilModelError, council_inputs, parameter_draws

HERE = os.path.dirname(os.path.abspath(__file__))
RAW = os.path.join(HERE, "data", "dfe_la")


@pytest.fixture(scope="module")
def data():
    return load_dataset()


def test_leeds_2019_starts_at_the_published_stock(data):
    # cla_number_and_rate...2019_2023.csv: 2019 Leeds, looked after at 31 March 1286; starting 386
    p = data.find("Leeds").parameters(2019)
    assert p.total_stock() == pytest.approx(1286, abs=1e-9)
    assert p.entries_per_year.sum() == pytest.approx(386, abs=1e-9)
    r = run(p, years=1, step="month", post_exit=False)
    assert r.children_in_care()[0] == pytest.approx(1286, abs=1e-9)


def test_norfolk_2017_keeps_the_published_margins(data):
    # 2017/SFR50_CLA2017.csv Norfolk: 1106; under 1 71, 1-4 112, 5-9 233, 10-15 459, 16+ 231; foster 838
    p = data.find("Norfolk").parameters(2017)
    assert p.stock.sum(axis=(1, 2)) == pytest.approx([71, 112, 233, 459, 231], abs=1e-6)
    foster = sum(p.stock[:, p.placements.index(k)].sum() for k in ("kinship_foster", "inhouse_foster",
                                                                     "agency_foster"))
    # two suppressed placement cells (x) are filled with at most 5 each, so foster is within 1 of 838
    assert foster == pytest.approx(838, abs=1.0)
    # 2017/SFR50_ADM2017.csv Norfolk: 472 started, ages 98, 95, 86, 133, 60
    assert p.entries_per_year.sum(axis=1) == pytest.approx([98, 95, 86, 133, 60], abs=1e-9)
    # structural zeros: no one under 10 in residential care, no one 10+ placed for adoption
    assert p.stock[:3, p.placements.index("residential")].sum() == 0
    assert p.stock[3:, p.placements.index("placed_for_adoption")].sum() == 0


def test_exits_reproduce_the_published_leavers(data):
    """Hazards = leavers / exposure: in a one-step year from the start, the model's leavers by age
    (with the 16-17 band's ageing out at 18) are the published ones (2017 CEA Norfolk: 412 in all,
    34, 114, 56, 62 under 16), to first order in the hazard (a year step at constant stock)."""
    area = data.find("Norfolk")
    inputs = council_inputs(area, 2017)
    assert inputs.exits_by_age.sum() == pytest.approx(412, abs=1e-9)
    assert inputs.exits_by_age[:4] == pytest.approx([34, 114, 56, 62], abs=1e-9)
    p = area.parameters(2017)
    hazard = p.exit_rates[:, 0, 0, :].sum(axis=1)
    implied = hazard * inputs.exposure_by_age
    implied[-1] += inputs.exposure_by_age[-1] / 2.0
    assert implied == pytest.approx(inputs.exits_by_age, rel=1e-9)


@pytest.mark.parametrize("name, year", [("Norfolk", 2013), ("Leeds", 2019), ("Birmingham", 2016),
                                        ("BCP", 2021), ("England", 2023), ("Cumberland", 2024)])
def test_model_conserves_children(data, name, year):
    p = data.find(name).parameters(year)
    r = run(p, years=4, step="month", post_exit=False)
    c = r.children_in_care()
    ev = r.event_counts()
    # stock at the end = stock at the start + everyone who entered - everyone who left (incl. at 18)
    assert c[-1] == pytest.approx(c[0] + ev["entries"].sum() - ev["exits"].sum(), rel=1e-10)
    assert np.all(c > 0)


def test_assumptions_and_sources_are_listed(data):
    p = data.find("Leeds").parameters(2019)
    text = "\n".join(p.assumptions)
    for phrase in ("time-in-care", "moves", "Unit costs are national", "age mix of 31 March 2017",
                   "Foster care split as England's"):
        assert phrase.lower() in text.lower(), phrase
    assert any("Children looked after in England" in s and "cla_31mar 2019" in s for s in p.sources)
    assert any("Open Government Licence" in s for s in p.sources)


def test_council_created_by_a_boundary_change_borrows_its_predecessors_mix(data):
    p = data.find("BCP").parameters(2020)
    assert any("Bournemouth + Poole + Dorset" in a for a in p.assumptions)


def test_years_without_a_stock_are_refused(data):
    with pytest.raises(CouncilModelError, match=r"no published children looked after at 31 March 2018 "
                                                r"\(years published: 2010, .*2017, 2019"):
        data.find("Leeds").parameters(2018)
    with pytest.raises(CouncilModelError, match="2017"):
        data.find("BCP").parameters(2017)
    with pytest.raises(CouncilModelError, match="nothing to model"):
        data.find("Isles of Scilly").parameters(2017)


def test_parameter_draws_are_reproducible_and_centred(data):
    _, e1, x1 = parameter_draws(data.find("Leeds"), 2019, 4000, seed=3)
    _, e2, x2 = parameter_draws(data.find("Leeds"), 2019, 4000, seed=3)
    assert np.array_equal(e1, e2) and np.array_equal(x1, x2)
    # Gamma(n + 1/2) / n has mean 1 + 1/(2n): close to 1 for counts of tens to hundreds
    assert np.all(np.abs(e1.mean(axis=0) - 1) < 0.05)


def test_cli_run_council(tmp_path, capsys):
    out = tmp_path / "leeds"
    assert main(["run", "--council", "Leeds", "--from", "2019", "-o", str(out), "--no-charts"]) == 0
    text = capsys.readouterr().out
    assert "Leeds (E08000035) from 31 March 2019" in text
    assert "published 1,286, model 1,286" in text
    assert "Assumptions" in text
    assert (out / "children.csv").exists() and (out / "scenario.toml").exists()


@pytest.mark.parametrize("argv, message", [
    (["run", "--council", "Leedz", "--from", "2019"], "did you mean 'Leeds'"),
    (["run", "--council", "Leeds", "--from", "2031"], "outside the published years"),
    (["run", "--council", "Leeds", "--from", "2018"], "no published children looked after at 31 March 2018"),
    (["run", "--council", "BCP", "--from", "2015"], "no published children looked after"),
])
def test_cli_run_council_errors(argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(argv + ["-o", str(tmp_path / "x")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_from_without_council(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", "--from", "2019"])
    assert exc.value.code == 2
    assert "--from needs --council" in capsys.readouterr().err


def test_parameters_use_nothing_after_their_year(tmp_path):
    """A raw folder truncated after 2019 gives the same 2019 model as the full one."""
    from carecast.councils.forecast import truncate_raw
    cut = tmp_path / "cut"
    truncate_raw(RAW, cut, 2019)
    full = carecast.council("Norfolk", RAW).parameters(2019)
    part = carecast.council("Norfolk", str(cut)).parameters(2019)
    for field in ("stock", "entries_per_year", "exit_rates"):
        assert np.array_equal(getattr(full, field), getattr(part, field)), field
    shutil.rmtree(cut)


def test_flows_averaged_over_three_years(data):
    """Leeds at 2019 with flow_years=3, by hand from the published files: starts 417 (2017 ADM), 421 (2018
    tidy), 386 (2019); leavers 408, 410, 375; stocks 1226 (2016), 1253 (2017), none for 2018, 1286 (2019).
    Child-years at risk: (1226+1253)/2 + 1253 + 1286 = 3778.5; rate 1193/3778.5 applied to 2019's 1286."""
    inputs = council_inputs(data.find("Leeds"), 2019, flow_years=3)
    assert inputs.entries_by_age.sum() == pytest.approx((417 + 421 + 386) / 3, rel=1e-12)
    assert inputs.exits_by_age.sum() == pytest.approx(1193 / 3778.5 * 1286, rel=1e-12)
    with pytest.raises(ValueError, match="flow_years must be 1 to 8"):
        council_inputs(data.find("Leeds"), 2019, flow_years=0)


def test_leavers_aged_16_and_over_are_summed_from_their_published_parts(data):
    """From 2016 leavers aged 16+ are published as 16, 17 and 18 and over. SFR41_CEA2016.csv Leeds: 391 ceased;
    under 1 36, 1-4 138, 5-9 63, 10-15 47, 16 x, 17 x, 18 and over 93. The two suppressed parts share what the
    total leaves (391 - 377 = 14), at most 5 each: 16+ = 93 + 5 + 5 = 103, and the five bands (sum 387) are
    scaled to the published 391. (Filling the whole 16+ cell as one suppressed cell gave it at most 5.)"""
    inputs = council_inputs(data.find("Leeds"), 2016)
    expected = np.array([36, 138, 63, 47, 103]) * 391 / 387
    assert inputs.exits_by_age == pytest.approx(expected, rel=1e-12)
    # before 2016 the 16+ cell is published whole: 2015 Leeds 16 and over 133 of 488 (SFR34_CEA2015.csv)
    assert council_inputs(data.find("Leeds"), 2015).exits_by_age[-1] == pytest.approx(133, rel=1e-12)


def test_model_leavers_match_the_published_total(data):
    """Summed over councils, the model's first-year leavers (hazards on its own stock, ageing out included) are
    within 3% of the leavers published for the year the hazards come from (conservation of the published flow,
    to first order; the floor at zero for the 16-17 band, where the published leavers are fewer than the model's
    ageing out, is the only systematic excess)."""
    model, published = 0.0, 0.0
    for a in data.areas:
        if a.level != "local authority":
            continue
        try:
            p = a.parameters(2021)
        except CouncilModelError:
            continue
        model += run(p, years=1, step="month", post_exit=False).event_counts()["exits"].sum()
        published += a.value("ceased", 2021).value
    assert abs(model / published - 1) < 0.03

"""The council dataset builder against cells read by hand from the published files.

Expected values were read with a text editor from the files under
``tests/data/dfe_la`` (whole lines copied from the DfE's published CSVs), not
from the builder's output.
"""
import gzip
import json
import os
import shutil

import pytest

from carecast.councils import BuildError, build_dataset, load_dataset, write_dataset
from carecast.councils.dataset import CouncilData

HERE = os.path.dirname(os.path.abspath(__file__))
RAW = os.path.join(HERE, "data", "dfe_la")
FULL = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data", "dfe_la"))
if not os.path.isdir(FULL):
    FULL = "/work/shared/data/dfe_la"


@pytest.fixture(scope="module")
def built():
    raw, report = build_dataset(RAW)
    return CouncilData(raw), report, raw


def v(data, name, measure, year):
    return data.find(name).value(measure, year)


# --- one hand-read cell per file kind -------------------------------------------------------------------

@pytest.mark.parametrize("name, measure, year, expected", [
    # 2010/SFR27_2010_March.csv: LA,926,Norfolk,884,162900,...
    ("926", "cla_31mar", 2010, 884),
    ("926", "population_0_17", 2009, 162900),
    # 2010/SFR27_2010_Started.csv: LA,926,Norfolk,370,...
    ("926", "starts", 2010, 370),
    # 2010/SFR27_2010_Ceased.csv: total 343, home 156, adopted 6 (unopposed) + 55 (consent dispensed)
    ("926", "ceased", 2010, 343),
    ("926", "ceased_reason_returned_home", 2010, 156),
    ("926", "ceased_reason_adopted", 2010, 61),
    # 2011/SFE21_ADM.csv: E10000020,LA,926,Norfolk,435,137,227,208,89,...
    ("926", "starts", 2011, 435),
    ("926", "starts_age_under1", 2011, 89),
    # 2011/SFR21_CEA.csv: ...,Norfolk,381,128,215,166,30,...
    ("926", "ceased", 2011, 381),
    ("926", "ceased_age_under1", 2011, 30),
    # 2013/SFR36_CLA2013.csv: Norfolk 1077, foster 767
    ("926", "cla_31mar", 2013, 1077),
    ("926", "cla_31mar_placement_foster", 2013, 767),
    # 2015/SFR34_ADM2015.csv heads its total CLA_started2014 but holds 2014-15 (Norfolk 421);
    # 2014/SFR36_ADM2014.csv holds 2013-14 (Norfolk 526)
    ("926", "starts", 2015, 421),
    ("926", "starts", 2014, 526),
    # 2016/SFR41_CEA2016.csv: CLA_cea16 is 16 only (20), CLA_cea17 20, CLA_cea18 121
    ("926", "ceased_age_16", 2016, 20),
    ("926", "ceased_age_16over", 2016, 161),
    # 2017/SFR50_CEA2017.csv (LA_order column first; CLA_cease2017): total 412, CEA_18over 119
    ("926", "ceased", 2017, 412),
    ("926", "ceased_age_18over", 2017, 119),
    # 2017/SFR50_CLA2017.csv: Norfolk 1106
    ("926", "cla_31mar", 2017, 1106),
    # cla_2018_2022/la_cla_who_started_to_be_looked_after.csv: 2022 Norfolk under 1: 69
    ("926", "starts_age_under1", 2022, 69),
    # cla_2018_2022/cla_number_and_rate_per_10k_children_2019_2023.csv: 2023 Norfolk 1213 (population 168778)
    ("926", "cla_31mar", 2023, 1213),
    ("926", "population_0_17_dfe", 2023, 168778),
    ("926", "ceased", 2023, 319),
    # eesdash/cla_number_and_rate_per_10k_children.csv: 2025 Norfolk 1069
    ("926", "cla_31mar", 2025, 1069),
    # eesdash/ons_mid-year_population_estimates_2012_to_2024.csv: mid-2024 Norfolk 171830
    ("926", "population_0_17", 2024, 171830),
    # eesdash/b1_children_in_need_2013_to_2025.csv: 2025 Norfolk At31_episodes 4643
    ("926", "cin_31mar", 2025, 4643),
    # eesdash/d5_cpps_at31march_by_duration_2013_to_2025.csv: 2025 Norfolk 454
    ("926", "cpp_31mar", 2025, 454),
    # eesdash/csww_indicators_2017_to_2025.csv: 2025 Norfolk inpost_fte 468.1, caseload 14.8
    ("926", "sw_fte", 2025, 468.1),
    ("926", "sw_caseload", 2025, 14.8),
    # cla_2018_2022/cla_time_series_1994_2023.csv: England 1994 47590
    ("England", "cla_31mar", 1994, 47590),
])
def test_hand_read_cells(built, name, measure, year, expected):
    data, _, _ = built
    got = v(data, name, measure, year)
    assert got.code is None, f"{measure} {year} is missing ({got.code})"
    assert got.value == pytest.approx(expected, abs=1e-9)
    assert got.release  # every number keeps its release


def test_statistical_neighbours(built):
    data, _, _ = built
    # eesdash/sn_model_2025_wide.csv: 926,Norfolk,...,935 (Suffolk) first
    norfolk = data.find("926")
    assert norfolk.neighbour_codes[0] == data.find("935").code
    assert "2025" in norfolk.neighbour_model


def test_2010_placements_read_in_the_order_the_data_were_written(built):
    """The 2010 stock file's placement columns are filled alphabetically by code (a quirk): England's
    foster share then matches the published share of 2009 (facts.json, DCSF SFR 2009: 73%)."""
    from carecast.facts import fact
    data, report, _ = built
    e = data.england
    share = e.value("cla_31mar_placement_foster", 2010).value / e.value("cla_31mar", 2010).value
    assert abs(share - fact("eng_placement_foster_share_2009").value) < 0.02
    # Norfolk 2010 row (alphabetical codes): Q1 47 + Q2 630 foster; K1 x, K2 106, H5 x: secure etc. suppressed
    assert v(data, "926", "cla_31mar_placement_foster", 2010).value == 677
    assert v(data, "926", "cla_31mar_placement_secure_homes_hostels", 2010).code == "x"
    assert any("alphabetical" in n for n in report.notes)


# --- suppression -----------------------------------------------------------------------------------------

def test_suppressed_cells_stay_missing_with_their_code(built):
    data, report, _ = built
    # 2017 CLA Norfolk: CLA_Ocom is x
    got = v(data, "926", "cla_31mar_placement_other_community", 2017)
    assert got.value is None and got.code == "x" and "suppressed" in got.meaning
    # tidy ceased 2022 Norfolk: remand ended c
    got = v(data, "926", "ceased_reason_remand_ended", 2022)
    assert got.value is None and got.code == "c"
    # a reason summed from two published rows, one of them c: missing, not the other row alone
    assert v(data, "926", "ceased_reason_independent_living", 2022).code == "c"
    # csww 2024 Birmingham: agency_fte u (low reliability)
    assert v(data, "330", "sw_agency_fte", 2024).code == "u"
    # the rate file: Bournemouth 2021 z (not applicable: abolished)
    assert v(data, "837", "cla_31mar", 2021).code == "z"
    assert report.missing["c"] > 0 and report.missing["x"] > 0 and report.missing["z"] > 0
    # nothing suppressed became a zero: every coded cell has NaN as its value
    import numpy as np
    coded = (data.codes != 0) & (data.codes != 255)
    assert np.isnan(data.values[coded]).all()


# --- boundary changes and code changes -------------------------------------------------------------------

def test_boundary_changes_are_reported_and_series_break(built):
    data, _, _ = built
    bcp = data.find("Bournemouth, Christchurch and Poole")
    bournemouth = data.find("837")
    assert bournemouth.years_with("cla_31mar")[-1] == 2019
    assert bcp.years_with("cla_31mar")[0] == 2020
    assert any("created 1 April 2019" in n for n in bcp.notes)
    assert any("abolished 1 April 2019" in n for n in bournemouth.notes)
    assert bcp.code in bournemouth.successors and bournemouth.code in bcp.predecessors
    northants = data.find("928")
    assert northants.years_with("cla_31mar")[-1] == 2021
    assert data.find("North Northamptonshire").years_with("cla_31mar")[0] == 2022
    assert data.find("Cumberland").years_with("cla_31mar")[0] == 2024
    # two Dorsets: the name finds the current council, the old code the county
    assert data.find("Dorset").old_code == "838"
    assert data.find("835").years_with("cla_31mar")[-1] == 2019


def test_code_change_keeps_one_series(built):
    data, _, _ = built
    ny = data.find("E10000023")  # North Yorkshire's code until 2023
    assert ny.code == "E06000065" and "E10000023" in ny.codes
    years = ny.years_with("cla_31mar")
    assert 2017 in years and 2025 in years
    assert any("ONS code changed" in n for n in ny.notes)


def test_joint_services_are_their_own_area(built):
    data, _, _ = built
    kingston = data.find("Kingston upon Thames")
    assert any("jointly" in n for n in kingston.notes)
    joint = data.by_code["314 / 318"]
    assert joint.value("sw_fte", 2025).value == pytest.approx(137.4)  # csww line of 2025, read by hand


def test_isles_of_scilly_row_without_level_is_read(built):
    data, report, _ = built
    assert v(data, "420", "cla_31mar", 2017).value == 0
    assert any("no geographic level" in n for n in report.notes)


def test_overlapping_releases_keep_the_earlier(built):
    data, report, _ = built
    # England ceased aged 1-4 in 2022: 6360 in la_children_who_ceased_during_year.csv (to 2022),
    # 6420 in ..._2019_2023.csv (revised): the earlier is kept and the revision counted
    got = data.england.value("ceased_age_1to4", 2022)
    assert got.value == 6360 and "2018 to 2022" in got.release
    assert report.revisions > 0


def test_rate_per_10000_matches_the_published_rate(built):
    data, _, _ = built
    # published: Norfolk 2023, 1213 children, rate 72 per 10,000
    assert round(data.find("Norfolk").rate_per_10000("cla_31mar", 2023)) == 72
    # published: Birmingham 2025 rate in eesdash file, read by hand: 79
    assert round(data.find("Birmingham").rate_per_10000("cla_31mar", 2025)) == 79


# --- the written dataset ---------------------------------------------------------------------------------

def test_write_and_read_back(tmp_path, built):
    _, _, raw = built
    path = tmp_path / "c.json.gz"
    write_dataset(raw, path)
    first = path.read_bytes()
    write_dataset(raw, path)
    assert path.read_bytes() == first  # reproducible bytes
    back = load_dataset(path)
    assert back.find("Norfolk").value("cla_31mar", 2013).value == 1077
    doc = json.loads(gzip.decompress(first))
    assert doc["format"] == "carecast.councils" and "Open Government Licence" in doc["licence"]


def test_packaged_dataset_is_small_and_has_every_council():
    from carecast.councils import packaged_dataset_path
    path = packaged_dataset_path()
    assert os.path.getsize(path) < 3_000_000
    data = load_dataset()
    assert len(data.councils(current_only=True)) >= 150
    lic = os.path.join(os.path.dirname(path), "LICENCE.md")
    assert "Open Government Licence v3.0" in open(lic, encoding="utf-8").read()


@pytest.mark.skipif(not os.path.isdir(FULL), reason="the full published folder shared/data/dfe_la is not here")
def test_packaged_dataset_is_the_build_of_the_full_folder():
    raw, _ = build_dataset(FULL)
    packaged = load_dataset()
    built = CouncilData(raw)
    assert built.measure_names == packaged.measure_names
    assert [a.code for a in built.areas] == [a.code for a in packaged.areas]
    import numpy as np
    assert np.array_equal(built.codes, packaged.codes)
    assert np.allclose(built.values, packaged.values, equal_nan=True, rtol=0, atol=0)


# --- malformed and missing files -------------------------------------------------------------------------

@pytest.fixture
def raw_copy(tmp_path):
    dst = tmp_path / "raw"
    shutil.copytree(RAW, dst)
    return dst


def _edit(path, line_no, old, new):
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert old in lines[line_no - 1]
    lines[line_no - 1] = lines[line_no - 1].replace(old, new, 1)
    path.write_text("".join(lines), encoding="utf-8")


def _line_of(path, text):
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return i
    raise AssertionError(text)


def test_bad_cell_names_file_line_and_column(raw_copy):
    f = raw_copy / "cla_2010_2017" / "2013" / "SFR36_CLA2013.csv"
    n = _line_of(f, ",Norfolk,")
    _edit(f, n, ",Norfolk,1077,", ",Norfolk,10?7,")
    with pytest.raises(BuildError, match=rf"SFR36_CLA2013\.csv:{n}: column 'CLA_Mar2013': '10\?7' is neither"):
        build_dataset(raw_copy)


def test_spreadsheet_error_is_kept_as_missing(raw_copy):
    f = raw_copy / "cla_2010_2017" / "2013" / "SFR36_CLA2013.csv"
    n = _line_of(f, ",Norfolk,")
    _edit(f, n, ",Norfolk,1077,", ",Norfolk,#VALUE!,")
    raw, report = build_dataset(raw_copy)
    got = CouncilData(raw).find("926").value("cla_31mar", 2013)
    assert got.value is None and got.code == "#VALUE!" and "spreadsheet" in got.meaning
    assert report.missing["#VALUE!"] >= 1


def test_missing_column_is_named(raw_copy):
    f = raw_copy / "cla_2018_2022" / "la_cla_who_started_to_be_looked_after.csv"
    _edit(f, 1, "characteristic", "characteristics")
    with pytest.raises(BuildError, match=r"la_cla_who_started_to_be_looked_after\.csv:1: column "
                                         r"'characteristic': required column"):
        build_dataset(raw_copy)


def test_tidy_bad_number_names_line(raw_copy):
    f = raw_copy / "eesdash" / "cla_number_and_rate_per_10k_children.csv"
    n = _line_of(f, "Norfolk,E10000020,Children looked after on 31 March each year")
    text = f.read_text(encoding="utf-8").splitlines()[n - 1]
    _edit(f, n, text, text.rsplit(",", 2)[0] + ",12a4," + text.rsplit(",", 1)[1])
    with pytest.raises(BuildError, match=rf"cla_number_and_rate_per_10k_children\.csv:{n}: column "
                                         r"'children_count'"):
        build_dataset(raw_copy)


def test_row_with_extra_values_is_refused(raw_copy):
    f = raw_copy / "cla_2010_2017" / "2011" / "SFE21_ADM.csv"
    n = _line_of(f, ",Norfolk,")
    line = f.read_text(encoding="utf-8").splitlines()[n - 1]
    _edit(f, n, line, line + ",99")
    with pytest.raises(BuildError, match=rf"SFE21_ADM\.csv:{n}: .*beyond the"):
        build_dataset(raw_copy)


def test_empty_file_and_missing_folder(raw_copy, tmp_path):
    (raw_copy / "eesdash" / "b1_children_in_need_2013_to_2025.csv").write_text("", encoding="utf-8")
    with pytest.raises(BuildError, match=r"b1_children_in_need_2013_to_2025\.csv:1: empty file"):
        build_dataset(raw_copy)
    with pytest.raises(BuildError, match="not a folder"):
        build_dataset(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BuildError, match="no file giving children looked after"):
        build_dataset(tmp_path / "empty")


def test_bad_year_folder_and_unknown_level(raw_copy):
    shutil.copytree(raw_copy / "cla_2010_2017" / "2011", raw_copy / "cla_2010_2017" / "old")
    with pytest.raises(BuildError, match=r"cla_2010_2017/old: folder name is not a year"):
        build_dataset(raw_copy)
    shutil.rmtree(raw_copy / "cla_2010_2017" / "old")
    f = raw_copy / "cla_2010_2017" / "2012" / "SFR20_ADM2012.csv"
    n = _line_of(f, ",Norfolk,")
    _edit(f, n, ",LA,926,", ",COUNTY,926,")
    with pytest.raises(BuildError, match=rf"SFR20_ADM2012\.csv:{n}: column 'geographic_level': unknown "
                                         r"geographic level 'COUNTY'"):
        build_dataset(raw_copy)


def test_trailing_empty_columns_and_blank_lines_survive(raw_copy):
    # 2013 ADM and 2014 CLA carry trailing empty columns; add blank lines too
    f = raw_copy / "cla_2010_2017" / "2014" / "SFR36_CLA2014.csv"
    f.write_text(f.read_text(encoding="utf-8") + "\n,,,\n\n", encoding="utf-8")
    raw, _ = build_dataset(raw_copy)
    assert CouncilData(raw).find("926").value("cla_31mar", 2014).value == 1148


def test_spend_from_the_revenue_outturn(built):
    """eesdash/RO3_LA_Data_2024-25_data_by_LA.ods (cut to a few rows, cells unchanged): Norfolk CC,
    TOTAL CHILDREN SOCIAL CARE net current expenditure 223600, children looked after 144396 (GBP thousand);
    Birmingham [x] (data not received in time); England 15556137.15471."""
    data, _, _ = built
    assert v(data, "926", "spend_csc_net", 2025).value == 223600
    assert v(data, "926", "spend_cla_net", 2025).value == 144396
    got = v(data, "330", "spend_csc_net", 2025)
    assert got.value is None and got.code == "[x]" and "not received" in got.meaning
    assert data.england.value("spend_csc_net", 2025).value == pytest.approx(15556137.15471)
    assert "revenue outturn 2024-25" in v(data, "926", "spend_csc_net", 2025).release


def test_bad_spreadsheet_is_named(raw_copy):
    (raw_copy / "eesdash" / "RO3_LA_Data_2024-25_data_by_LA.ods").write_bytes(b"not a zip")
    with pytest.raises(BuildError, match=r"RO3_LA_Data_2024-25_data_by_LA\.ods: not a readable ODS"):
        build_dataset(raw_copy)


@pytest.mark.parametrize("text, expected", [
    ("12", (12.0, None)), (" 1,234 ", (1234.0, None)), ("-31", (-31.0, None)), ("14.8", (14.8, None)),
    ("c", (None, "c")), ("x", (None, "x")), ("z", (None, "z")), ("u", (None, "u")), ("low", (None, "low")),
    ("k", (None, "k")), (":", (None, ":")), (".", (None, ".")), ("..", (None, "..")), ("-", (None, "-")),
    ("#VALUE!", (None, "#VALUE!")), ("", (None, "")), ("[x]", (None, "[x]")), ("C", (None, "c")),
])
def test_every_suppression_code_is_kept(text, expected):
    from carecast.councils.build import parse_cell
    assert parse_cell(text, "f.csv", 3, "n") == expected


def test_importing_carecast_does_not_load_the_council_dataset():
    import subprocess
    import sys
    code = "import sys, carecast; print('carecast.councils' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"

"""Looking a council up: forgiving names, codes, "did you mean", tidy tables and the CLI."""
import os

import numpy as np
import pytest

import carecast
from carecast.cli import main
from carecast.councils import CouncilNotFound, load_dataset

HERE = os.path.dirname(os.path.abspath(__file__))
RAW = os.path.join(HERE, "data", "dfe_la")


@pytest.fixture(scope="module")
def data():
    return load_dataset()


@pytest.mark.parametrize("query", ["Birmingham", "birmingham", "BIRMINGHAM ", "Bham", "brum", "330", "E08000025",
                                   "e08000025"])
def test_birmingham_every_way(data, query):
    assert data.find(query).code == "E08000025"


@pytest.mark.parametrize("query, code", [
    ("Bristol", "E06000023"), ("bristol city of", "E06000023"), ("Hull", "E06000010"), ("notts", "E10000024"),
    ("herts", "E10000015"), ("Nrfolk", "E10000020"), ("westmorland", "E06000064"), ("england", "E92000001"),
    ("North West", "E12000002"), ("BCP", "E06000058"), ("E10000023", "E06000065"),
])
def test_forgiving_names(data, query, code):
    assert data.find(query).code == code


def test_did_you_mean(data):
    with pytest.raises(CouncilNotFound, match=r"did you mean 'Norfolk'"):
        data.find("Norfollk shire")
    with pytest.raises(CouncilNotFound, match="matches several councils: Kingston upon Hull, City of, "
                                              "Kingston upon Thames"):
        data.find("kingston")
    with pytest.raises(CouncilNotFound, match="no council matches 'Atlantis'"):
        data.find("Atlantis")


def test_carecast_council_and_tidy_table(data):
    leeds = carecast.council("Leeds")
    assert leeds.name == "Leeds"
    table = leeds.table(["cla_31mar"])
    years = list(table["year"])
    assert years == sorted(years) and 2025 in years
    row = years.index(2025)
    assert table["value"][row] == leeds.value("cla_31mar", 2025).value
    assert "Children looked after" in table["release"][row]
    # missing cells keep their code and meaning in the table
    t = carecast.council("Norfolk").table(["cla_31mar_placement_other_community"])
    i = list(t["year"]).index(2017)
    assert np.isnan(t["value"][i]) and t["missing_code"][i] == "x" and "suppressed" in t["missing_meaning"][i]


def test_neighbours_exist_and_exclude_self(data):
    for a in data.councils(current_only=True):
        if a.neighbour_codes:
            assert a.code not in a.neighbour_codes
            assert len(a.neighbours()) == len(a.neighbour_codes)


def test_cli_show(capsys):
    assert main(["councils", "show", "Norfolk"]) == 0
    out = capsys.readouterr().out
    assert "Norfolk (E10000020, DfE code 926), East of England" in out
    assert "Statistical neighbours" in out and "Suffolk" in out
    assert "per 10,000 children" in out and "Open Government Licence" in out
    assert "neighbours" in out and "England" in out


def test_cli_show_csv(capsys):
    assert main(["councils", "show", "330", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("measure,year,value,missing_code")


def test_cli_list(capsys):
    assert main(["councils"]) == 0
    out = capsys.readouterr().out
    assert "Birmingham" in out and "E08000025" in out
    assert main(["councils", "list", "--region", "North East"]) == 0
    out = capsys.readouterr().out
    assert "Gateshead" in out and "Birmingham" not in out


def test_cli_unknown_council(capsys):
    assert main(["councils", "show", "Norfollk"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'Norfolk'" in err and "Traceback" not in err


def test_cli_bad_data_path(capsys, tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["councils", "--data", str(bad)]) == 2
    assert "not a council dataset" in capsys.readouterr().err
    assert main(["councils", "show", "Leeds", "--data", str(tmp_path / "nope.json.gz")]) == 2
    assert "not found" in capsys.readouterr().err


def test_cli_build(tmp_path, capsys):
    out = tmp_path / "c.json.gz"
    assert main(["councils", "build", RAW, "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert load_dataset(out).find("Norfolk").value("cla_31mar", 2010).value == 884
    assert main(["councils", "build", str(tmp_path / "none"), "-o", str(out)]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_raw_folder_as_data(capsys):
    assert main(["councils", "show", "Norfolk", "--data", RAW]) == 0
    assert "Norfolk" in capsys.readouterr().out

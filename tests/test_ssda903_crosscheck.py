"""Cross-check with Social Finance's cs-demand-model (an independent implementation).

Needs ``cs-demand-model==0.5.1`` (which pins numpy<2 and pandas<2); skipped
when it is not installed. Expected values come from cs-demand-model itself
run on the same files. See carecast/ssda903/crosscheck.py for the
definitions that agree and those that differ. cs-demand-model counts short
breaks (legal status V3/V4), so carecast reads with ``short_breaks="keep"``
here.
"""
from __future__ import annotations

import csv
import shutil
import warnings

import numpy as np
import pytest

csdm = pytest.importorskip("cs_demand_model")

from carecast.ssda903 import read_returns, sample_returns_path, stock  # noqa: E402
from carecast.ssda903.crosscheck import CS_DEMAND_MODEL_AGE_BANDS, cs_demand_model_taxonomy  # noqa: E402

DATES = ["2018-03-31", "2018-09-30", "2019-03-31", "2020-03-31", "2021-03-31", "2021-12-31"]
BRACKETS = {"BIRTH_TO_ONE": 0, "ONE_TO_FIVE": 1, "FIVE_TO_TEN": 2, "TEN_TO_SIXTEEN": 3, "SIXTEEN_TO_EIGHTEEN": 4}


def _theirs(folder, dates, categories):
    """Stock from cs-demand-model as (age bracket x category) arrays, one per date."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = csdm.Config()
        container = csdm.DemandModellingDataContainer(csdm.fs_datastore(str(folder)), config)
        stats = csdm.PopulationStats(container.enriched_view, config)
        out = {}
        for d in dates:
            table = np.zeros((len(BRACKETS), len(categories)))
            for (bracket, category), count in stats.stock_at(d).items():
                table[BRACKETS[bracket], categories.index(category)] += count
            out[d] = table
    return out


def _copy_returns(folder, keep=None):
    folder.mkdir(parents=True, exist_ok=True)
    for p in list(sample_returns_path().glob("*-episodes.csv")) + list(sample_returns_path().glob("*-header.csv")):
        if keep is None:
            shutil.copy(p, folder)
            continue
        with open(p) as fh, open(folder / p.name, "w", newline="") as out:
            rows = csv.reader(fh)
            w = csv.writer(out)
            w.writerow(next(rows))
            w.writerows(row for row in rows if row[0] in keep)
    return folder


@pytest.fixture(scope="module")
def clean_children(tmp_path_factory):
    """The sample's children whose records raise no problem and are never censored early."""
    taxonomy = cs_demand_model_taxonomy()
    r = read_returns(_copy_returns(tmp_path_factory.mktemp("all")), taxonomy=taxonomy, short_breaks="keep")
    flagged = {p.child for p in r.report.problems if not p.reason.startswith("episode repeated")}
    vanished = set(r.child[r.last_in_period & (r.exit_group < 0) & (r.end < r.data_end)])
    clean = set(r.child) - flagged - vanished
    assert len(clean) > 600  # most of the 820 children
    folder = _copy_returns(tmp_path_factory.mktemp("clean"), keep=clean)
    return read_returns(folder, taxonomy=taxonomy, short_breaks="keep"), _theirs(folder, DATES, taxonomy.placements)


def test_stock_by_category_equal_where_definitions_agree(clean_children):
    ours, theirs = clean_children
    assert ours.report.n_errors == ours.report.n_warnings == 0
    for d in DATES:
        np.testing.assert_array_equal(stock(ours, d).sum(axis=(0, 2)), theirs[d].sum(axis=0), err_msg=d)


def test_age_at_episode_start_matches_and_age_on_the_date_differs(clean_children):
    ours, theirs = clean_children
    differs = 0
    for d in DATES:
        at_start = stock(ours, d, age_bands=CS_DEMAND_MODEL_AGE_BANDS, age_basis="episode_start")[..., 0]
        on_date = stock(ours, d, age_bands=CS_DEMAND_MODEL_AGE_BANDS)[..., 0]
        np.testing.assert_array_equal(at_start, theirs[d], err_msg=d)
        # same children, same categories, different ages: children age during an episode
        np.testing.assert_array_equal(on_date.sum(axis=0), theirs[d].sum(axis=0))
        assert (on_date[1:].sum() - theirs[d][1:].sum()) == 0
        differs += int(np.abs(on_date - theirs[d]).sum())
    assert differs > 0


def test_children_absent_from_later_returns_stay_in_their_counts(tmp_path):
    # A: open in the 2017 return (1/4/2017-31/3/2018) but absent from the 2018 return;
    # B: in both, moving on 1/6/2018
    (tmp_path / "2017-header.csv").write_text("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nA,1,01/01/2008,WBRI,,,\n"
                                              "B,1,01/01/2008,WBRI,,,\n")
    head = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
    (tmp_path / "2017-episodes.csv").write_text(head + "A,01/06/2017,S,C2,N1,U4,PR1,,,,,,\n"
                                                "B,01/06/2017,S,C2,N1,U4,PR1,,,,,,\n")
    (tmp_path / "2018-header.csv").write_text("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nB,1,01/01/2008,WBRI,,,\n")
    (tmp_path / "2018-episodes.csv").write_text(head + "B,01/06/2017,S,C2,N1,U4,PR1,01/06/2018,X1,,,,\n"
                                                "B,01/06/2018,P,C2,N1,U6,PR4,,,,,,\n")
    taxonomy = cs_demand_model_taxonomy()
    ours = read_returns(tmp_path, taxonomy=taxonomy, short_breaks="keep")
    theirs = _theirs(tmp_path, ["2019-01-31"], taxonomy.placements)["2019-01-31"]
    assert stock(ours, "2019-01-31").sum() == 1      # B only: A censored on 31/3/2018, with a warning
    assert theirs.sum() == 2                          # A is still counted

"""Derived facts: stock, entries, exits, moves, exposure.

Oracles: a hand-worked example (days counted on a calendar) and a slow
day-by-day count written in the test with ``datetime``, run on synthetic
children whose true histories are known; plus the conservation law
stock(end) = stock(start) + entries - exits.
"""
from __future__ import annotations

import csv
import datetime as dt

import numpy as np
import pytest

from carecast.care.taxonomy import EXIT_GROUPS, PLACEMENTS
from carecast.ssda903 import (
    entries,
    example_parameters,
    exits,
    exposure,
    moves,
    read_returns,
    simulate_episodes,
    stock,
    summarise,
    write_returns,
)

EPISODE_HEADER = ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                  "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"]
P = PLACEMENTS.index


def write_return(folder, year, children, episodes):
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{year}-header.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["CHILD", "SEX", "DOB"])
        w.writerows([[c, "1", d] for c, d in children])
    with open(folder / f"{year}-episodes.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(EPISODE_HEADER)
        for child, decom, place, provider, dec, rec in episodes:
            w.writerow([child, decom, "S", "C2", "N1", place, provider, dec, rec, "", "", "", ""])


@pytest.fixture
def hand_example(tmp_path):
    # A: born 15/06/2010; in-house foster from 10/01/2018, moves to a children's home on
    #    01/05/2018, returns home 01/02/2019.  B: born 01/09/2001, supported living from
    #    01/01/2017, still there.  C: born 01/03/2015, placed with parents 01/07/2018 to
    #    01/10/2018, then left to live with relatives (E13).
    write_return(tmp_path, 2018, [("A", "15/06/2010"), ("B", "01/09/2001"), ("C", "01/03/2015")],
                 [("A", "10/01/2018", "U4", "PR1", "01/05/2018", "X1"),
                  ("A", "01/05/2018", "K2", "PR4", "01/02/2019", "E4A"),
                  ("B", "01/01/2017", "H5", "PR4", "", ""),
                  ("C", "01/07/2018", "P1", "PR0", "01/10/2018", "E13")])
    return read_returns(tmp_path)


def test_hand_worked_window(hand_example):
    r = hand_example
    s, e = "2018-03-31", "2019-03-31"
    st = stock(r, s)
    assert st.sum() == 2 and st[7, P("inhouse_foster"), 0] == 1 and st[16, P("supported_living"), 0] == 1
    en = entries(r, s, e)
    assert en.sum() == 1 and en[3, P("with_parents")] == 1
    ex = exits(r, s, e)
    home = EXIT_GROUPS.index("returned_home")
    assert ex.sum() == 2
    assert ex[8, P("residential"), 0, home] == 1 and ex[3, P("with_parents"), 0, home] == 1
    mv = moves(r, s, e)
    assert mv.sum() == 1 and mv[7, P("inhouse_foster"), 0, P("residential")] == 1
    x = exposure(r, s, e) * 365.25
    # A: 31/03-30/04 in-house at 7 (31 days); 01/05-14/06 residential at 7 (45 days);
    #    15/06/2018-31/01/2019 residential at 8 (231 days)
    assert x[7, P("inhouse_foster"), 0] == pytest.approx(31)
    assert x[7, P("residential"), 0] == pytest.approx(45)
    assert x[8, P("residential"), 0] == pytest.approx(231)
    # B: 31/03-31/08/2018 at 16 (154 days), 01/09/2018-30/03/2019 at 17 (211 days)
    assert x[16, P("supported_living"), 0] == pytest.approx(154)
    assert x[17, P("supported_living"), 0] == pytest.approx(211)
    # C: 01/07-30/09/2018 at 3 (92 days)
    assert x[3, P("with_parents"), 0] == pytest.approx(92)
    assert x.sum() == pytest.approx(31 + 45 + 231 + 154 + 211 + 92)
    # time in care bands: A entered 10/01/2018, so 3 months (91 days) ends 10/04/2018
    xt = exposure(r, s, e, time_in_care_bands=(0, 0.25)) * 365.25
    assert xt[7, P("inhouse_foster"), 0] == pytest.approx(11)   # 31/03 - 10/04
    assert xt[7, P("inhouse_foster"), 1] == pytest.approx(20)   # 11/04 - 30/04


def test_age_at_episode_start_differs_from_age_on_the_date(hand_example):
    on_date = stock(hand_example, "2018-09-30")
    at_start = stock(hand_example, "2018-09-30", age_basis="episode_start")
    assert on_date.sum() == at_start.sum() == 3
    assert on_date[8, P("residential"), 0] == 1 and at_start[7, P("residential"), 0] == 1
    assert on_date[17, P("supported_living"), 0] == 1 and at_start[15, P("supported_living"), 0] == 1


def _oracle(ep, s_date, e_date, ages=tuple(range(18))):
    """Day-by-day counts from the simulated (true) histories, with datetime arithmetic."""
    base = dt.date(1970, 1, 1)
    def day(d):
        return base + dt.timedelta(days=int(d))
    def age(dob, d):
        return d.year - dob.year - ((d.month, d.day) < (dob.month, dob.day))
    A, Pn = len(ages), len(PLACEMENTS)
    x = np.zeros((A, Pn))
    ex = np.zeros((A, Pn, len(EXIT_GROUPS)))
    mv = np.zeros((A, Pn, Pn))
    st = np.zeros((A, Pn))
    s, e = (s_date - base).days, (e_date - base).days
    def band(a):
        return np.searchsorted(ages, a, side="right") - 1
    for k in range(len(ep.decom)):
        c = ep.episode_child[k]
        dob = day(ep.dob[c])
        lo, hi = int(ep.decom[k]), int(min(ep.dec[k], 10 ** 9))
        for d in range(max(lo, s), min(hi, e)):
            x[band(age(dob, day(d))), ep.placement[k]] += 1
        if lo <= e < hi:
            st[band(age(dob, day(e))), ep.placement[k]] += 1
        if s < hi <= e:
            a = band(age(dob, day(hi - 1)))
            if ep.exit_group[k] >= 0:
                # documented rule: leaving on or after the day before the 18th birthday is ageing out
                b18 = dt.date(dob.year + 18, dob.month, dob.day) if (dob.month, dob.day) != (2, 29) \
                    else dt.date(dob.year + 18, 3, 1)
                group = EXIT_GROUPS.index("left_care_at_18") if day(hi) >= b18 - dt.timedelta(1) \
                    else ep.exit_group[k]
                ex[a, ep.placement[k], group] += 1
            elif ep.rec[k] == "X1":
                mv[a, ep.placement[k], ep.placement[k + 1]] += 1
    return x / 365.25, ex, mv, st


def test_facts_match_a_day_by_day_count_of_the_true_histories(tmp_path):
    params = example_parameters(scale=0.25)
    ep = simulate_episodes(params, "1999-04-01", "2023-04-01", seed=11)
    write_returns(ep, tmp_path, 2017, 2021)
    r = read_returns(tmp_path)
    assert r.report.n_errors == 0 and r.report.n_warnings == 0
    s, e = dt.date(2018, 3, 31), dt.date(2020, 3, 31)
    x, ex, mv, st = _oracle(ep, s, e)
    assert x.sum() > 100  # enough children to mean something
    np.testing.assert_allclose(exposure(r, s, e)[..., 0], x, atol=1e-9)
    np.testing.assert_array_equal(exits(r, s, e)[:, :, 0, :], ex)
    np.testing.assert_array_equal(moves(r, s, e)[:, :, 0, :], mv)
    np.testing.assert_array_equal(stock(r, e)[..., 0], st)


def test_conservation_stock_entries_exits(tmp_path):
    ep = simulate_episodes(example_parameters(scale=0.5), "1999-04-01", "2023-04-01", seed=5)
    write_returns(ep, tmp_path, 2017, 2021)
    r = read_returns(tmp_path)
    for s, e in (("2017-03-31", "2018-03-31"), ("2017-06-30", "2021-03-31"), ("2019-03-31", "2019-04-01")):
        sm = summarise(r, s, e, time_in_care_bands=(0, 0.5, 1))
        assert sm.stock_end.sum() == sm.stock_start.sum() + sm.entries.sum() - sm.exits.sum()
        # moves conserve the stock too: every move out is a move in
        assert sm.moves.sum(axis=(0, 1, 2)).sum() == sm.moves.sum(axis=(0, 2, 3)).sum()
    text = sm.to_text()
    assert "total" in text and "C1" not in text  # counts, not identifiers


def test_bad_windows_and_bands(hand_example):
    with pytest.raises(ValueError, match="must be after start"):
        exposure(hand_example, "2019-01-01", "2018-01-01")
    with pytest.raises(ValueError, match="whole years"):
        stock(hand_example, "2019-01-01", age_bands=(0, 0.5, 5))
    with pytest.raises(ValueError, match="time_in_care_bands"):
        stock(hand_example, "2019-01-01", time_in_care_bands=(0.5, 1))
    with pytest.raises(ValueError, match="age_basis"):
        stock(hand_example, "2019-01-01", age_basis="birthday")
    with pytest.raises(ValueError, match="not a date"):
        stock(hand_example, "31 March")

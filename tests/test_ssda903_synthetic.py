"""Synthetic returns: valid SSDA903 files, written only where asked, consistent with the truth.

Expected values: the generator's own true histories (SyntheticEpisodes) read
back through the reader, and the DfE return layout (one file pair per
collection year, open episodes blank in DEC/REC).
"""
from __future__ import annotations

import csv

import numpy as np
import pytest

from carecast.care.taxonomy import DEFAULT_TAXONOMY, PLACEMENTS
from carecast.ssda903 import example_parameters, generate_returns, read_returns, simulate_episodes, stock, write_returns
from carecast.ssda903.dates import format_date, to_days
from carecast.ssda903.reader import EPISODE_COLUMNS, HEADER_COLUMNS


def test_files_are_valid_returns_with_the_dfe_layout(tmp_path):
    files = generate_returns(tmp_path, example_parameters(scale=0.3), first_year=2019, last_year=2020, seed=4)
    assert sorted(p.name for p in files) == ["2019-episodes.csv", "2019-header.csv", "2020-episodes.csv",
                                            "2020-header.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in files)  # nothing else
    with open(tmp_path / "2019-episodes.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == EPISODE_COLUMNS
    with open(tmp_path / "2019-header.csv") as fh:
        assert tuple(next(csv.reader(fh))) == HEADER_COLUMNS
    for row in rows:
        assert (row["DEC"] == "") == (row["REC"] == "")
        if row["DEC"]:
            assert to_days(row["DEC"]) <= to_days("2020-03-31")
        assert to_days(row["DECOM"]) <= to_days("2020-03-31")
        DEFAULT_TAXONOMY.placement_of(row["PLACE"], row["PLACE_PROVIDER"])  # a known code
    r = read_returns(tmp_path, strict=True)
    assert r.report.n_warnings == 0


def test_read_back_matches_the_true_histories(tmp_path):
    ep = simulate_episodes(example_parameters(scale=0.3), "2000-04-01", "2022-04-01", seed=8)
    write_returns(ep, tmp_path, 2018, 2020)
    r = read_returns(tmp_path)
    for date in ("2018-03-31", "2019-06-30", "2021-03-31"):
        d = to_days(date)
        inside = (ep.decom <= d) & (d < ep.dec)
        truth = np.bincount(ep.placement[inside], minlength=len(PLACEMENTS))
        if date == "2018-03-31":
            # before the first return's year: only children still in care on 1 April 2018 are known
            assert stock(r, date).sum() <= truth.sum()
        else:
            np.testing.assert_array_equal(stock(r, date).sum(axis=(0, 2)), truth, err_msg=date)
    assert format_date(r.data_end - 1) == "2021-03-31"


def test_same_seed_same_returns_and_scale(tmp_path):
    a = simulate_episodes(example_parameters(scale=0.2), "2010-04-01", "2020-04-01", seed=3)
    b = simulate_episodes(example_parameters(scale=0.2), "2010-04-01", "2020-04-01", seed=3)
    np.testing.assert_array_equal(a.decom, b.decom)
    np.testing.assert_array_equal(a.rec, b.rec)
    big = simulate_episodes(example_parameters(scale=2.0), "2010-04-01", "2020-04-01", seed=3)
    # entries are Poisson(300 * scale * 10 years): 600 vs 6,000 expected
    assert abs(len(a.child) - 600) < 4 * np.sqrt(600)
    assert abs(len(big.child) - 6000) < 4 * np.sqrt(6000)


def test_bad_arguments(tmp_path):
    p = example_parameters()
    with pytest.raises(ValueError, match="no such folder"):
        generate_returns(tmp_path / "missing", p)
    with pytest.raises(ValueError, match="end must be after start"):
        simulate_episodes(p, "2020-01-01", "2019-01-01")
    with pytest.raises(TypeError, match="CareParameters"):
        simulate_episodes({"rates": 1}, "2010-01-01", "2020-01-01")
    odd = p.replace(placements=tuple(f"x{i}" for i in range(len(p.placements))))
    with pytest.raises(ValueError, match="without SSDA903 codes"):
        simulate_episodes(odd, "2010-01-01", "2020-01-01")
    ep = simulate_episodes(p, "2010-04-01", "2015-04-01", seed=1)
    with pytest.raises(ValueError, match="simulate further"):
        write_returns(ep, tmp_path, 2014, 2016)


def _fingerprint(ep):
    import hashlib
    h = hashlib.sha256()
    for name in ("child", "dob", "sex", "episode_child", "decom", "dec", "placement", "place", "provider",
                 "rec", "exit_group"):
        a = np.asarray(getattr(ep, name))
        a = a.astype(str) if a.dtype.kind == "U" else a.astype(np.int64)
        h.update(name.encode())
        h.update(repr(a.tolist()).encode())
    h.update(repr((int(ep.start), int(ep.end))).encode())
    return h.hexdigest()


def test_simulate_episodes_split_into_stages_gives_the_same_episodes():
    # Hashes of the output of the single-function simulate_episodes (commit 50d645f), generated
    # before it was split into stages: the split must not change a single episode or code.
    p = example_parameters(scale=0.5)
    assert _fingerprint(simulate_episodes(p, "2000-04-01", "2022-04-01", seed=11)) == \
        "26c8916401965d0b6c75689a076238022892cc81385169a9fc88cffd6e387134"
    assert _fingerprint(simulate_episodes(example_parameters(scale=0.2), "2010-04-01", "2020-04-01", seed=3)) \
        == "b6eefeb148ef369c40a832ba331b9d89266e5943d5e8bb214c19ac06cf0a6431"
    A, P, T, E = p.shape
    ex = np.repeat(p.exit_rates, 4, axis=2) * np.array([1.5, 1.0, 0.7, 0.5])[None, None, :, None]
    mv = np.repeat(p.move_rates, 4, axis=2) * np.array([2.0, 1.0, 0.5, 0.3])[None, None, :, None]
    banded = p.replace(stock=np.zeros((A, P, 4)), exit_rates=ex, move_rates=mv,
                       time_in_care_bands=(0.0, 0.25, 1.0, 2.0))
    assert _fingerprint(simulate_episodes(banded, "2005-04-01", "2021-04-01", seed=2024)) == \
        "12f75126a85794293fb4734171bfd617a215aa82276252a63f7e070ffc0a1c5b"
    assert _fingerprint(simulate_episodes(p, "2019-01-01", "2019-02-01", seed=5)) == \
        "edf5ea3fe3698ffbdff9567ace246c0e3a4305737b38ae90c589ddfbc9800c9a"


def test_no_entrants_gives_no_episodes():
    p = example_parameters(scale=0.0)
    ep = simulate_episodes(p, "2019-01-01", "2020-01-01", seed=1)
    assert len(ep.child) == 0 and len(ep.decom) == 0

"""Calibration: pooled Gamma posteriors by hand, and the round trip from known rates.

Expected values: hand calculation of the shrinkage formulas on tiny arrays,
and the known rates the synthetic returns were simulated from (recovered
within three posterior standard errors).
"""
from __future__ import annotations

import csv

import numpy as np
import pytest

from carecast.care import CareParameters
from carecast.care.taxonomy import EXIT_GROUPS, PLACEMENTS
from carecast.ssda903 import (
    calibrate,
    example_parameters,
    generate_returns,
    pooled_rates,
    read_returns,
    sample_returns_path,
    stock,
)


def test_pooled_rates_by_hand():
    # one placement, one flow, two ages x two time-in-care bands
    events = np.array([[[[4.0], [0.0]]], [[[1.0], [5.0]]]])          # (A=2, P=1, T=2, F=1)
    exposure = np.array([[[2.0, 0.0]], [[3.0, 5.0]]])                # (A, P, T)
    g = pooled_rates(events, exposure, prior_child_years=1.0)
    m_p = 10 / 10                                                    # all ages, all bands
    m_t0 = (5 + 1 * m_p) / (5 + 1)                                   # band 0 pooled over ages
    m_t1 = (5 + 1 * m_p) / (5 + 1)                                   # band 1 pooled over ages
    expected_mean = np.array([(4 + m_t0) / 3, (0 + m_t1) / 1, (1 + m_t0) / 4, (5 + m_t1) / 6])
    np.testing.assert_allclose(g.mean().ravel(), expected_mean)
    np.testing.assert_allclose(g.shape.ravel(), [4 + m_t0, m_t1, 1 + m_t0, 5 + m_t1])
    np.testing.assert_allclose(g.rate.ravel(), [3, 1, 4, 6])
    crude = pooled_rates(events, exposure, prior_child_years=0.0).mean().ravel()
    np.testing.assert_allclose(crude, [2.0, 0.0, 1 / 3, 1.0])
    with pytest.raises(ValueError, match="prior_child_years"):
        pooled_rates(events, exposure, prior_child_years=-1)
    with pytest.raises(ValueError, match=r"events must be \(A, P, T, F\)"):
        pooled_rates(events[0], exposure)


def test_gamma_draws_have_the_posterior_moments():
    g = pooled_rates(np.array([[[[30.0]]]]), np.array([[[10.0]]]), prior_child_years=0.0)
    draws = g.sample(20000, seed=3)
    assert draws.shape == (20000, 1, 1, 1, 1)
    assert draws.mean() == pytest.approx(3.0, rel=0.02)             # 30 / 10
    assert draws.std() == pytest.approx(np.sqrt(30) / 10, rel=0.03)


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    truth = example_parameters(scale=4)
    folder = tmp_path_factory.mktemp("synthetic")
    generate_returns(folder, truth, first_year=2015, last_year=2021, seed=2024)
    returns = read_returns(folder, strict=True)
    return truth, returns


def test_round_trip_recovers_exit_and_move_rates(round_trip):
    truth, returns = round_trip
    cal = calibrate(returns, "2015-03-31", "2021-03-31", age_bands=truth.age_bands,
                    time_in_care_bands=(0.0,), prior_child_years=0.0)
    x = cal.summary.exposure[..., 0]                                  # (A, P)
    at18 = EXIT_GROUPS.index("left_care_at_18")
    checked = 0
    for flows, true_rates, is_exit in ((cal.summary.exits[:, :, 0, :], truth.exit_rates[:, :, 0, :], True),
                                       (cal.summary.moves[:, :, 0, :], truth.move_rates[:, :, 0, :], False)):
        # pool ages: the estimate is Gamma(events, exposure); the truth it estimates is the
        # exposure-weighted mean of the true age-specific rates
        events = flows.sum(axis=0)                                    # (P, F)
        years = x.sum(axis=0)[:, None]
        rate = np.divide(events, years, out=np.zeros_like(events), where=years > 0)
        sd = np.divide(np.sqrt(events), years, out=np.zeros_like(events), where=years > 0)
        weighted = np.divide((true_rates * x[:, :, None]).sum(axis=0), years,
                             out=np.zeros_like(events), where=years > 0)
        for p, f in zip(*np.nonzero(events >= 10)):
            if is_exit and f == at18:
                continue  # ageing out, not a hazard
            assert abs(rate[p, f] - weighted[p, f]) <= 3 * sd[p, f], (PLACEMENTS[p], f, rate[p, f])
            checked += 1
        # flows that never happen in the truth never appear
        zero = (true_rates == 0).all(axis=0)
        if is_exit:
            zero[:, at18] = False
        assert events[zero].sum() == 0
    assert checked >= 25


def test_round_trip_recovers_entries_and_age_specific_rates(round_trip):
    truth, returns = round_trip
    cal = calibrate(returns, "2015-03-31", "2021-03-31", age_bands=truth.age_bands,
                    time_in_care_bands=(0.0,))
    post = cal.entries_per_year
    got, sd = post.mean(), post.sd()
    for a, p in zip(*np.nonzero(post.events >= 10)):
        assert abs(got[a, p] - truth.entries_per_year[a, p]) <= 3 * sd[a, p]
    # age-specific pooled posteriors: with ~40 cells a 3-sigma miss is expected now and then,
    # so check every cell at 4 sigma and that the z-scores look standard normal
    ex = cal.exit_rates
    mean, sd = ex.mean(), ex.sd()
    z = []
    for g in ("returned_home", "sgo_cao", "other"):
        f = EXIT_GROUPS.index(g)
        cells = ex.events[:, :, 0, f] >= 20
        z += list((mean[..., 0, f] - truth.exit_rates[..., 0, f])[cells] / sd[..., 0, f][cells])
    z = np.array(z)
    print(f"{len(z)} cells, z mean {z.mean():.2f}, sd {z.std():.2f}, max |z| {np.abs(z).max():.2f}")
    assert len(z) >= 30
    assert np.abs(z).max() <= 4
    assert abs(z.mean()) <= 3 / np.sqrt(len(z))
    assert 0.6 <= z.std() <= 1.4
    # ageing out is not a hazard in the model
    assert (cal.parameters.exit_rates[..., EXIT_GROUPS.index("left_care_at_18")] == 0).all()


def test_calibrate_the_sample_into_care_parameters():
    r = read_returns(sample_returns_path())
    cal = calibrate(r, "2017-03-31", "2019-03-31")
    p = cal.parameters
    assert isinstance(p, CareParameters)
    assert p.shape == (18, 9, 5, 5)
    assert str(p.start_date) == "2019-03-31"
    # 341 children on 31 March 2019 in the sample's summary table, of whom 53 are under short breaks
    # (legal status V3/V4), which the reader excludes as the DfE does
    assert p.stock.sum() == cal.summary.stock_end.sum() == 341 - 53
    kept = read_returns(sample_returns_path(), short_breaks="keep")
    assert stock(kept, "2019-03-31").sum() == 341
    covering = kept.in_care_on("2019-03-31")
    legal_status = {}
    for name in kept.files:
        if "episodes" in name:
            with open(sample_returns_path() / name) as fh:
                for line, row in enumerate(csv.DictReader(fh), start=2):
                    legal_status[(name, line)] = row["LS"]
    assert sum(legal_status[(kept.files[f], int(l))] in ("V3", "V4")
               for f, l in zip(kept.file[covering], kept.line[covering])) == 53
    # entries per year = window entries / 2 years
    assert p.entries_per_year.sum() == pytest.approx(cal.summary.entries.sum() / (730 / 365.25))
    assert (np.diagonal(p.move_rates, axis1=1, axis2=3) == 0).all()
    draws = cal.sample_parameters(3, seed=1)
    assert draws["exit_rates"].shape == (3, 18, 9, 5, 5)
    assert (draws["exit_rates"][..., EXIT_GROUPS.index("left_care_at_18")] == 0).all()
    with pytest.raises(ValueError, match="outside the data"):
        calibrate(r, "2010-03-31", "2019-03-31")
    with pytest.raises(ValueError, match="must be after start"):
        calibrate(r, "2019-03-31", "2019-03-31")
    with pytest.raises(TypeError, match="read_returns"):
        calibrate(42, "2017-03-31", "2019-03-31")
    # one call from a folder gives the same model
    direct = calibrate(sample_returns_path(), "2017-03-31", "2019-03-31").parameters
    np.testing.assert_array_equal(direct.exit_rates, p.exit_rates)

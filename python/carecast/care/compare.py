"""Scenario against baseline: children, savings, present value, payback, return on investment.

Conventions
-----------
* Savings are the baseline's costs minus the scenario's, excluding the
  programme costs of interventions (gross saving); the net saving subtracts
  programme costs. All in real terms (``price_year`` prices).
* Optimism bias (HM Treasury Green Book): programme costs are raised by
  ``optimism_bias`` (0.2 = 20% more) and gross savings lowered by
  ``benefit_shortfall`` before any summary figure is computed.
* Present values, NPV, benefit-cost ratio and ROI use the library's
  appraisal functions with mid-step timing and the parameters' discount rate
  (Green Book schedule by default), from the start date.
* **Payback is counted from the scheme's start** by default
  (``payback_from="scheme"``): the start of the first step in which the
  scenario differs from the baseline (a programme cost or a saving), with
  discounting from that date, as an appraisal made when the scheme starts
  would count it. A scheme starting in year 6 that pays back 3.1 years later
  reports 3.1 years, not 9.1. ``payback_from="run"`` counts from the run's
  start date instead. The summary says which.
* Only results of the same council can be compared: same name, dimensions
  and labels, start date, step, number of steps, price year, discount rate
  and general inflation; anything else is refused (a scenario cannot change
  these, see :mod:`carecast.care.scenarios`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from carecast import checks, engine
from carecast.care.calendar import financial_year_label, financial_year_weights
from carecast.care.costs import CostKind
from carecast.care.tables import Table

if TYPE_CHECKING:
    from carecast.care.model import CareResult

__all__ = ["Comparison", "compare", "break_even", "batch_net_values", "PAYBACK_FROM"]

#: Where payback is counted from: the scheme's start (default) or the run's start date.
PAYBACK_FROM = ("scheme", "run")
#: Fields of the parameters that must agree between baseline and scenario.
_SAME_COUNCIL = ("name", "age_bands", "placements", "time_in_care_bands", "exit_groups", "start_date",
                 "price_year", "discount_rate", "general_inflation")


@dataclass
class Comparison:
    """A scenario run set against its baseline (same council, dates and steps); see :func:`compare`."""

    baseline: CareResult
    scenario: CareResult
    optimism_bias: float = 0.0
    benefit_shortfall: float = 0.0
    payback_from: str = "scheme"

    def _split(self, result) -> tuple[np.ndarray, np.ndarray]:
        return split_costs(result.step_costs())

    def gross_saving(self) -> np.ndarray:
        """Per step, real terms, after any benefit shortfall."""
        base, _ = self._split(self.baseline)
        scen, _ = self._split(self.scenario)
        return (base - scen) * (1.0 - self.benefit_shortfall)

    def programme_cost(self) -> np.ndarray:
        """Per step, real terms, after the optimism-bias uplift."""
        _, programme = self._split(self.scenario)
        base_programme = self._split(self.baseline)[1]
        return (programme - base_programme) * (1.0 + self.optimism_bias)

    def net_saving(self) -> np.ndarray:
        return self.gross_saving() - self.programme_cost()

    def scheme_start_step(self) -> int:
        """The first step in which the scenario differs from the baseline (0 if it never does).

        "Differs" means a programme cost, or a gross saving larger than
        ``1e-9`` of the baseline's largest step cost (rounding in the
        projection is far below that).
        """
        base, _ = self._split(self.baseline)
        return int(scheme_start_steps(base, self.gross_saving(), self.programme_cost()))

    def scheme_start_years(self) -> float:
        """Years from the run's start date to the start of the scheme's first step."""
        return self.scheme_start_step() * self.baseline.dt

    def _schedule(self):
        rate = self.baseline.parameters.discount_rate
        return engine.GREEN_BOOK if rate is None else rate

    def payback(self, payback_from: str | None = None) -> float:
        """Years to payback, from the scheme's start (default) or the run's start (``"run"``).

        ``math.inf`` if the cumulative discounted net saving is still negative
        at the end of the run; ``0.0`` if it is never negative.
        """
        basis = checks.choice("payback_from", self.payback_from if payback_from is None else payback_from,
                              PAYBACK_FROM)
        dt, schedule = self.baseline.dt, self._schedule()
        net = self.net_saving()
        if basis == "scheme":
            net = net[self.scheme_start_step():]
        return engine.payback(net, dt=dt, schedule=schedule)

    def present_values(self) -> dict[str, float]:
        """Present values of gross saving, programme cost and net saving, with payback, BCR and ROI.

        ``payback_years`` is counted as ``payback_from`` says (the scheme's
        start by default); ``scheme_start_years`` is where the scheme starts.
        """
        dt, schedule = self.baseline.dt, self._schedule()
        gross, cost = self.gross_saving(), self.programme_cost()
        out = {"gross_saving": engine.present_value(gross, dt=dt, schedule=schedule),
               "programme_cost": engine.present_value(cost, dt=dt, schedule=schedule)}
        out["net_present_value"] = out["gross_saving"] - out["programme_cost"]
        out["payback_years"] = self.payback()
        out["scheme_start_years"] = self.scheme_start_years()
        if out["programme_cost"] > 0:
            out["benefit_cost_ratio"] = engine.benefit_cost_ratio(gross, cost, dt=dt, schedule=schedule)
            out["roi"] = engine.roi(gross, cost, dt=dt, schedule=schedule)
        else:
            out["benefit_cost_ratio"] = out["roi"] = float("nan")
        return out

    def table(self) -> Table:
        """By financial year: children in care at the year's last step, savings and costs (real)."""
        p = self.baseline.parameters
        years, weights, covered = financial_year_weights(p.start_date, self.baseline.steps, self.baseline.dt)
        last_step = np.array([np.flatnonzero(weights[:, k] > 0).max() + 1 for k in range(len(years))])
        base_children = self.baseline.children_in_care()[last_step]
        scen_children = self.scenario.children_in_care()[last_step]
        gross, cost = weights.T @ self.gross_saving(), weights.T @ self.programme_cost()
        return Table({"financial_year": np.array([financial_year_label(y) for y in years]),
                      "children_baseline": base_children, "children_scenario": scen_children,
                      "children_fewer": base_children - scen_children, "gross_saving": gross,
                      "programme_cost": cost, "net_saving": gross - cost, "share_of_year": covered},
                     title=f"{self.scenario.scenario} against baseline",
                     units={"gross_saving": f"GBP, {p.price_year} prices", "programme_cost": "GBP",
                            "net_saving": "GBP"})

    def payback_words(self) -> str:
        """``"payback 3.1 years from the scheme's start (5.0 years into the run)"`` and the like."""
        payback = self.payback()
        if self.payback_from == "run":
            basis = f"from the start of the run ({self.baseline.parameters.start_date.isoformat()})"
        else:
            start = self.scheme_start_years()
            basis = ("from the scheme's start (the start of the run)" if start == 0
                     else f"from the scheme's start ({start:.1f} years into the run)")
        if not np.isfinite(payback):
            return f"payback never within the run (counted {basis})"
        if payback == 0.0:
            return f"no payback period: the net saving is never negative (counted {basis})"
        return f"payback {payback:.1f} years {basis}"

    def summary(self) -> str:
        from carecast.care.report import money
        pv = self.present_values()
        t = self.table()
        lines = [f"{self.scenario.scenario} against baseline (real terms, {self.baseline.parameters.price_year} prices)",
                 f"{'Financial year':<16}{'fewer children':>15}{'gross saving':>14}{'programme':>12}{'net':>12}"]
        for row in zip(t["financial_year"], t["children_fewer"], t["gross_saving"], t["programme_cost"],
                       t["net_saving"]):
            lines.append(f"{row[0]:<16}{row[1]:>15,.0f}{money(row[2]):>14}{money(row[3]):>12}{money(row[4]):>12}")
        lines.append(f"Present value: gross saving {money(pv['gross_saving'])}, programme {money(pv['programme_cost'])}, "
                     f"net {money(pv['net_present_value'])}; " + self.payback_words()
                     + ("" if np.isnan(pv["roi"]) else f"; ROI {pv['roi']:.0%}"))
        if self.optimism_bias or self.benefit_shortfall:
            lines.append(f"Optimism bias: programme costs +{self.optimism_bias:.0%}, "
                         f"savings -{self.benefit_shortfall:.0%}.")
        return "\n".join(lines)


def _same_council(baseline: CareResult, scenario: CareResult) -> None:
    if baseline.steps != scenario.steps or baseline.dt != scenario.dt:
        raise checks.FieldError("scenario", f"has {scenario.steps} steps of {scenario.dt:g} years; the baseline "
                                            f"{baseline.steps} of {baseline.dt:g}: run both with the same years "
                                            f"and step")
    for name in _SAME_COUNCIL:
        b, s = getattr(baseline.parameters, name), getattr(scenario.parameters, name)
        if b != s:
            raise checks.FieldError("scenario", f"is not a run of the baseline's council: its {name} is {s!r}, "
                                                f"the baseline's {b!r}")


def compare(baseline: CareResult, scenario: CareResult, *, optimism_bias: float = 0.0,
            benefit_shortfall: float = 0.0, payback_from: str = "scheme") -> Comparison:
    """Set a scenario's result against the baseline's (same council, steps and dates).

    Parameters
    ----------
    baseline, scenario : CareResult
        Runs of the same council's parameters over the same steps.
    optimism_bias : float
        Uplift of programme costs, 0 to 10 (0.2 = 20% more).
    benefit_shortfall : float
        Share by which gross savings are lowered, 0 to 1.
    payback_from : {"scheme", "run"}
        Count payback from the scheme's start (default; see the module
        docstring) or from the run's start date.

    Raises
    ------
    carecast.checks.FieldError
        If the two results are not of the same council (name, dimensions,
        start date, price year, discount rate, general inflation) or steps.

    Examples
    --------
    >>> from carecast.care.examples import load_example
    >>> from carecast.care.model import run
    >>> from carecast.care.scenarios import Scenario
    >>> from carecast.care.interventions import EdgeOfCare
    >>> p = load_example("norfolk-2017").parameters
    >>> edge = Scenario("edge", interventions=[EdgeOfCare(families_per_year=200, share_would_enter=0.5,
    ...                                                   effect=0.2, cost_per_family=2000)])
    >>> c = compare(run(p, years=5), run(p, years=5, scenario=edge))
    >>> bool(c.table()["children_fewer"][-1] > 0)
    True
    """
    from carecast.care.model import CareResult

    for name, value in (("baseline", baseline), ("scenario", scenario)):
        if not isinstance(value, CareResult):
            raise checks.FieldTypeError(name, f"must be a CareResult (from carecast.care.run), "
                                              f"got {type(value).__name__}")
    optimism_bias = checks.number("optimism_bias", optimism_bias, low=0.0, high=10.0)
    benefit_shortfall = checks.number("benefit_shortfall", benefit_shortfall, low=0.0, high=1.0)
    payback_from = checks.choice("payback_from", payback_from, PAYBACK_FROM)
    _same_council(baseline, scenario)
    return Comparison(baseline, scenario, optimism_bias, benefit_shortfall, payback_from)


def break_even(parameters, scenario, *, intervention: int = 0, field: str = "effect", years: float = 5.0,
               step="month", low: float = 0.0, high: float = 1.0, optimism_bias: float = 0.0) -> float:
    """The value of one intervention field at which the net present value is zero.

    Solved with :func:`carecast.find_root` between ``low`` and ``high``;
    raises ``carecast.NotBracketedError`` if the net present value has the
    same sign at both ends (e.g. no effect size in range pays back).
    """
    import dataclasses

    from carecast.care.model import run
    from carecast.care.scenarios import Scenario

    if not isinstance(scenario, Scenario):
        raise checks.FieldTypeError("scenario", f"must be a Scenario, got {type(scenario).__name__}")
    if not scenario.interventions:
        raise checks.FieldError("scenario", f"scenario {scenario.name!r} has no interventions to solve for")
    intervention = checks.integer("intervention", intervention, low=0, high=len(scenario.interventions) - 1)
    item = scenario.interventions[intervention]
    names = [f.name for f in dataclasses.fields(item)]
    if field not in names:
        raise checks.FieldError("field", f"{type(item).__name__} has no field {field!r} (fields: {', '.join(names)})")
    low = checks.number("low", low)
    high = checks.number("high", high, low=low, low_open=True)
    base = run(parameters, years=years, step=step)

    def npv(value: float) -> float:
        items = list(scenario.interventions)
        items[intervention] = dataclasses.replace(item, **{field: value})
        changed = Scenario(scenario.name, scenario.description, dict(scenario.set), dict(scenario.scale), items)
        result = run(parameters, years=years, step=step, scenario=changed)
        return compare(base, result, optimism_bias=optimism_bias).present_values()["net_present_value"]

    return engine.find_root(npv, low, high, xtol=1e-6)


def split_costs(costs) -> tuple[np.ndarray, np.ndarray]:
    """Real costs per step (any leading axes) without and with programme costs: ``(other, programme)``."""
    programme = costs.is_kind(CostKind.PROGRAMME)
    real = costs.real
    return real[..., ~programme].sum(axis=-1), real[..., programme].sum(axis=-1)


def scheme_start_steps(base: np.ndarray, gross: np.ndarray, programme: np.ndarray) -> np.ndarray:
    """The first step in which the scenario differs from the baseline, per leading index (0 if never).

    "Differs" means a programme cost, or a gross saving larger than ``1e-9``
    of the baseline's largest step cost (see :meth:`Comparison.scheme_start_step`).
    """
    peak = np.max(np.abs(base), axis=-1) if base.shape[-1] else np.zeros(base.shape[:-1])
    tolerance = 1e-9 * np.maximum(1.0, peak)[..., None]
    active = (np.abs(programme) > tolerance) | (np.abs(gross) > tolerance)
    return np.where(active.any(axis=-1), active.argmax(axis=-1), 0)


def batch_net_values(baseline, scenario, dt: float, schedule, *, optimism_bias: float = 0.0,
                     benefit_shortfall: float = 0.0, payback_from: str = "scheme") -> dict[str, np.ndarray]:
    """Per draw, what :meth:`Comparison.present_values` gives for one: from two :class:`StepCosts`
    with a leading draw axis (baseline and scenario of the same draws).

    Returns ``gross_saving``, ``programme_cost``, ``net_present_value``,
    ``payback_years`` and ``scheme_start_years``, each ``(R,)``. Present values
    are the per-step series times the mid-step discount factors summed by
    NumPy (the same figures as :func:`carecast.present_value` to rounding);
    payback is :func:`carecast.payback` of each draw's series.
    """
    basis = checks.choice("payback_from", payback_from, PAYBACK_FROM)
    base, base_programme = split_costs(baseline)
    scen, programme = split_costs(scenario)
    gross = (base - scen) * (1.0 - benefit_shortfall)
    cost = (programme - base_programme) * (1.0 + optimism_bias)
    net = gross - cost
    steps = net.shape[-1]
    factors = engine.step_discount_factors(steps, dt=dt, timing="mid", schedule=schedule)
    out = {"gross_saving": np.einsum("rt,t->r", gross, factors), "programme_cost": np.einsum("rt,t->r", cost, factors)}
    out["net_present_value"] = out["gross_saving"] - out["programme_cost"]
    scheme = scheme_start_steps(base, gross, cost)
    start = scheme if basis == "scheme" else np.zeros_like(scheme)
    out["payback_years"] = np.array([engine.payback(net[r, int(start[r]):], dt=dt, schedule=schedule)
                                     for r in range(net.shape[0])])
    out["scheme_start_years"] = scheme * dt
    return out

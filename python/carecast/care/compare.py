"""Scenario against baseline: children, savings, present value, payback, return on investment.

Conventions
-----------
* Savings are the baseline's costs minus the scenario's, excluding the
  programme costs of interventions (gross saving); the net saving subtracts
  programme costs. All in real terms (``price_year`` prices).
* Optimism bias (HM Treasury Green Book): programme costs are raised by
  ``optimism_bias`` (0.2 = 20% more) and gross savings lowered by
  ``benefit_shortfall`` before any summary figure is computed.
* Present values, payback, NPV, benefit-cost ratio and ROI use the library's
  appraisal functions with mid-step timing and the parameters' discount rate
  (Green Book schedule by default), from the start date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carecast import engine
from carecast.care.calendar import financial_year_label, financial_year_weights
from carecast.care.costs import CostKind
from carecast.care.tables import Table

__all__ = ["Comparison", "compare", "break_even"]


@dataclass
class Comparison:
    """A scenario run set against its baseline (same parameters, dates and steps)."""

    baseline: object
    scenario: object
    optimism_bias: float = 0.0
    benefit_shortfall: float = 0.0

    def _split(self, result) -> tuple[np.ndarray, np.ndarray]:
        c = result.step_costs()
        programme = c.is_kind(CostKind.PROGRAMME)
        real = c.real
        return real[:, ~programme].sum(axis=1), real[:, programme].sum(axis=1)

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

    def _schedule(self):
        rate = self.baseline.parameters.discount_rate
        return engine.GREEN_BOOK if rate is None else rate

    def present_values(self) -> dict[str, float]:
        """Present values of gross saving, programme cost and net saving, with payback, BCR and ROI."""
        dt, schedule = self.baseline.dt, self._schedule()
        gross, cost = self.gross_saving(), self.programme_cost()
        out = {"gross_saving": engine.present_value(gross, dt=dt, schedule=schedule),
               "programme_cost": engine.present_value(cost, dt=dt, schedule=schedule)}
        out["net_present_value"] = out["gross_saving"] - out["programme_cost"]
        out["payback_years"] = engine.payback(gross - cost, dt=dt, schedule=schedule)
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

    def summary(self) -> str:
        from carecast.care.report import money
        pv = self.present_values()
        t = self.table()
        lines = [f"{self.scenario.scenario} against baseline (real terms, {self.baseline.parameters.price_year} prices)",
                 f"{'Financial year':<16}{'fewer children':>15}{'gross saving':>14}{'programme':>12}{'net':>12}"]
        for row in zip(t["financial_year"], t["children_fewer"], t["gross_saving"], t["programme_cost"],
                       t["net_saving"]):
            lines.append(f"{row[0]:<16}{row[1]:>15,.0f}{money(row[2]):>14}{money(row[3]):>12}{money(row[4]):>12}")
        payback = pv["payback_years"]
        lines.append(f"Present value: gross saving {money(pv['gross_saving'])}, programme {money(pv['programme_cost'])}, "
                     f"net {money(pv['net_present_value'])}; payback "
                     + ("never within the run" if not np.isfinite(payback) else f"{payback:.1f} years")
                     + ("" if np.isnan(pv["roi"]) else f"; ROI {pv['roi']:.0%}"))
        if self.optimism_bias or self.benefit_shortfall:
            lines.append(f"Optimism bias: programme costs +{self.optimism_bias:.0%}, "
                         f"savings -{self.benefit_shortfall:.0%}.")
        return "\n".join(lines)


def compare(baseline, scenario, *, optimism_bias: float = 0.0, benefit_shortfall: float = 0.0) -> Comparison:
    """Set a scenario's result against the baseline's (same parameters, steps and dates).

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
    for name, value in (("optimism_bias", optimism_bias), ("benefit_shortfall", benefit_shortfall)):
        if not (isinstance(value, (int, float)) and 0 <= value <= 1 or name == "optimism_bias" and
                isinstance(value, (int, float)) and 0 <= value <= 10):
            raise ValueError(f"{name} must be a share between 0 and 1 (optimism bias up to 10), got {value!r}")
    if baseline.steps != scenario.steps or baseline.dt != scenario.dt or \
            baseline.parameters.start_date != scenario.parameters.start_date:
        raise ValueError("baseline and scenario must have the same start date, step and number of steps")
    return Comparison(baseline, scenario, float(optimism_bias), float(benefit_shortfall))


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

    if not 0 <= intervention < len(scenario.interventions):
        raise ValueError(f"intervention must index scenario.interventions (0..{len(scenario.interventions) - 1})")
    item = scenario.interventions[intervention]
    if field not in {f.name for f in dataclasses.fields(item)}:
        raise ValueError(f"{type(item).__name__} has no field {field!r}")
    base = run(parameters, years=years, step=step)

    def npv(value: float) -> float:
        items = list(scenario.interventions)
        items[intervention] = dataclasses.replace(item, **{field: value})
        changed = Scenario(scenario.name, scenario.description, dict(scenario.set), dict(scenario.scale), items)
        result = run(parameters, years=years, step=step, scenario=changed)
        return compare(base, result, optimism_bias=optimism_bias).present_values()["net_present_value"]

    return engine.find_root(npv, low, high, xtol=1e-6)

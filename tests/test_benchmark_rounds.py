"""The benchmark harness times short cases more often than asked, within its budget."""

from dataclasses import replace

import pytest

import benchmarks.environment
import benchmarks.measure
from benchmarks.cases import TUTORIAL
from benchmarks.measure import MAX_ROUNDS, measure_case
from benchmarks.runners import KMLAB, SKLEARN


def timed_fits(result):
    return {name: len(timing["times_s"]) for name, timing in result["timing"].items()}


def test_short_cases_get_more_rounds_up_to_the_cap(monkeypatch):
    # The tutorial's fits take milliseconds (a first one may compile: no budget here).
    monkeypatch.setattr(benchmarks.measure, "ROUNDS_BUDGET_S", float("inf"))
    result = measure_case(TUTORIAL, [KMLAB, SKLEARN], seeds=[0], repeats=2, threads=1)
    assert timed_fits(result) == {"kmlab": MAX_ROUNDS, "sklearn": MAX_ROUNDS}


@pytest.mark.parametrize("max_repeats, budget, expected", [(1, 10.0, 1), (None, 0.0, 2)])
def test_capped_cases_and_spent_budgets_stop_at_the_repeats(monkeypatch, max_repeats, budget, expected):
    monkeypatch.setattr(benchmarks.measure, "ROUNDS_BUDGET_S", budget)
    case = replace(TUTORIAL, max_repeats=max_repeats)
    result = measure_case(case, [KMLAB, SKLEARN], seeds=[0], repeats=2, threads=1)
    assert timed_fits(result) == {"kmlab": expected, "sklearn": expected}


@pytest.mark.parametrize("untimed_first, calls_per_timed_fit", [(True, 2), (False, 1)])
def test_slow_cases_rest_before_each_timed_fit_without_an_untimed_one(monkeypatch, untimed_first, calls_per_timed_fit):
    monkeypatch.setattr(benchmarks.measure, "ROUNDS_BUDGET_S", 0.0)
    monkeypatch.setattr(benchmarks.environment, "SETTLE_S", 0.0)
    calls = []

    def counted_fit(X, params, threads):
        calls.append(params)
        return KMLAB.fit(X, params, threads)

    case = replace(TUTORIAL, max_repeats=3, untimed_first=untimed_first)
    result = measure_case(case, [replace(KMLAB, fit=counted_fit), SKLEARN], seeds=[0], repeats=3, threads=1)
    assert timed_fits(result) == {"kmlab": 3, "sklearn": 3}
    assert len(calls) == 3 * calls_per_timed_fit
    assert result["settle"] == ("own call" if untimed_first else "rest")

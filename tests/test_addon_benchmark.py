"""The add-on benchmark's quick mode (benchmarks/addon.py): two simulated learners in real Anki
collections, with and without the add-on; the printed table has every row and sane numbers."""

from __future__ import annotations

import re

import pytest

from benchmarks.addon import FSRS6, LEARNERS, QUICK, retrievability, run

ROW = re.compile(r"^(fast|slow)\s+(without|with)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+(\d+)\s+(\d+)$")


def test_forgetting_curve_is_fsrs6() -> None:
    # FSRS's definition of stability: 90 % recall after S days; recall falls with time.
    assert retrievability(7.0, 7.0, list(FSRS6)) == pytest.approx(0.9, abs=1e-9)
    assert retrievability(0.0, 3.0, list(FSRS6)) == 1.0
    assert retrievability(30.0, 3.0, list(FSRS6)) < retrievability(3.0, 3.0, list(FSRS6))


def test_quick_benchmark_prints_sane_figures() -> None:
    lines: list[str] = []
    results = run(QUICK["cases"], QUICK["days"], QUICK["seeds"], out=lines.append)

    cards = QUICK["cases"] * 3  # a generated case makes three cards
    assert lines[0].startswith(f"class deck: {QUICK['cases']} cases, {cards} cards; {QUICK['days']} days")
    rows = {(m[1], m[2]): m for m in map(ROW.match, lines) if m}
    assert set(rows) == {(l.name, arm) for l in LEARNERS for arm in ("without", "with")}
    for (learner, arm), row in rows.items():
        retention, pass_rate = float(row[3]), float(row[4])
        answers, review_answers, new_cards = int(row[5]), int(row[6]), int(row[7])
        assert 0.0 < retention < 1.0, (learner, arm)
        assert 0.0 <= pass_rate <= 1.0, (learner, arm)
        assert 0 < new_cards <= cards
        assert new_cards < answers and review_answers < answers  # first sights and learning steps count too
    assert any(line.startswith("change fast: retention ") for line in lines)
    assert any(line.startswith("change slow: retention ") for line in lines)
    assert lines[-1].startswith("run time ")

    # The numbers printed are the numbers simulated; the slow learner forgets more than the fast one.
    for name, arms in results.items():
        for arm, (result,) in arms.items():
            assert rows[(name, arm)][3] == f"{result.retention:.3f}"
            assert int(rows[(name, arm)][5]) == result.answers
    assert results["slow"]["without"][0].retention < results["fast"]["without"][0].retention
    # With the add-on every card carries a band tag the refresh wrote (three bands in all).
    assert sum(results["fast"]["with"][0].bands_at_end.values()) == cards

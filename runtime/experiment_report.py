"""A readout (`experiments.py`) as rows, its numbers as text, and the sample-ratio verdict;
`cli/experiment.py` renders them through the one table module (`cli/tables.py`) as a table,
CSV, JSON (`segl-experiment/1`) or markdown."""

from __future__ import annotations

import math

from .experiments import Readout


def _number(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def rows(readout: Readout) -> list[dict[str, object]]:
    result = []
    for row in readout.rows:
        c = row.comparison
        result.append({
            "kpi": row.kpi, "kind": row.kind, "arm": row.arm, "n": row.sample.n,
            "missing": row.missing, "value": _number(row.sample.mean),
            "difference": _number(c.difference) if c else None,
            "ci_low": _number(c.low) if c else None, "ci_high": _number(c.high) if c else None,
            "p_value": _number(c.p_value) if c else None, "test": c.test if c else "",
            "mde": _number(c.mde) if c else None,
        })
    return result


def arm_rows(readout: Readout) -> list[dict[str, object]]:
    total = sum(a.size for a in readout.arms)
    weight = sum(a.share for a in readout.arms)
    return [{"arm": a.name, "share": a.share, "size": a.size,
             "expected": total * a.share / weight if weight else 0.0,
             "observed_share": a.size / total if total else None} for a in readout.arms]


def shown(value: object, kind: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if kind == "p":
            return f"{value:.4f}" if value >= 0.0001 else f"{value:.1e}"
        return f"{value:.4g}"
    return str(value)


def ratio_line(readout: Readout) -> str:
    ratio = readout.ratio
    verdict = "SAMPLE-RATIO MISMATCH: the split is not what was declared; do not trust " \
              "the results" if ratio.mismatch else "no sample-ratio mismatch"
    return f"{verdict} (chi-square {ratio.chi_square:.2f}, p {shown(ratio.p_value, 'p')})"

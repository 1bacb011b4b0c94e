"""A readout (`experiments.py`) as rows, and those rows as csv, json or markdown; the
command prints them as a table (`cli/experiment.py`). JSON is `segl-experiment/1`."""

from __future__ import annotations

import csv
import io
import json
import math

from .experiments import Readout

FORMATS = ("table", "csv", "json", "markdown")
COLUMNS = ("kpi", "kind", "arm", "n", "missing", "value", "difference", "ci_low", "ci_high",
           "p_value", "test", "mde")


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


def as_json(readout: Readout) -> str:
    experiment = readout.experiment
    document = {
        "format": "segl-experiment/1", "experiment": experiment.name,
        "segment": experiment.segment, "salt": experiment.salt,
        "as_of": readout.as_of.isoformat(), "control": readout.control,
        "arms": arm_rows(readout),
        "sample_ratio": {"chi_square": readout.ratio.chi_square,
                         "p_value": readout.ratio.p_value,
                         "mismatch": readout.ratio.mismatch},
        "kpis": rows(readout),
    }
    return json.dumps(document, indent=2) + "\n"


def as_csv(readout: Readout) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows(readout):
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


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


def as_markdown(readout: Readout) -> str:
    experiment = readout.experiment
    lines = [f"### Experiment `{experiment.name}` on `{experiment.segment}` · as_of "
             f"{readout.as_of}", "", "| arm | share | size |", "| --- | ---: | ---: |"]
    lines += [f"| {a['arm']} | {a['share']:.2%} | {a['size']:,} |" for a in arm_rows(readout)]
    lines += ["", ratio_line(readout), "",
              "| KPI | arm | n | value | difference | 95% CI | p-value | MDE | test |",
              "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | --- |"]
    for row in rows(readout):
        interval = "–" if row["ci_low"] is None else \
            f"[{shown(row['ci_low'])}, {shown(row['ci_high'])}]"
        lines.append(f"| {row['kpi']} ({row['kind']}) | {row['arm']} | {row['n']:,} | "
                     f"{shown(row['value'])} | {shown(row['difference'])} | {interval} | "
                     f"{shown(row['p_value'], 'p')} | {shown(row['mde'])} | "
                     f"{row['test'] or 'control'} |")
    return "\n".join(lines) + "\n"

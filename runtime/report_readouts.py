"""The experiments section of `segl report`: each experiment's readout (docs/experiments.md):
its arms with declared share, size and observed share, the sample-ratio check (flagged when
it fails), and, for the KPIs given for it (`segl report --experiment-kpi [EXPERIMENT:]KPI`),
per arm the value and, against control, the difference, its 95% CI, the p-value, the MDE and
the test. Every name, label and number is escaped."""

from __future__ import annotations

from .experiment_report import arm_rows, ratio_line, rows, shown
from .experiments import Readout
from .report_html import _e, _section, _table, number


def readouts_section(readouts: list[Readout]) -> tuple[str, str, str]:
    if not readouts:
        return "", "", ""
    parts = [_readout(r) for r in readouts]
    flagged = sum(1 for r in readouts if r.ratio.mismatch)
    intro = (f"{len(readouts)} experiment{'s' if len(readouts) != 1 else ''} as of "
             f"{_e(readouts[0].as_of.isoformat())}; the first arm is control. Rates: "
             "two-proportion z-test; means: Welch's t-test; 95% confidence intervals; MDE at "
             "80% power, 5% two-sided.")
    if flagged:
        intro += (f' <strong class="badge fail">{flagged} sample-ratio mismatch'
                  f'{"es" if flagged != 1 else ""}</strong>')
    return _section("experiments", "Experiments", intro, "".join(parts))


def _readout(readout: Readout) -> str:
    experiment = readout.experiment
    title = f"{experiment.label} ({experiment.name})" if experiment.label else experiment.name
    arms = []
    for a in arm_rows(readout):
        observed = "–" if a["observed_share"] is None else f"{a['observed_share']:.2%}"
        cells = [f"{a['share']:.2%}", number(a["size"]), observed]
        arms.append(f'<tr><th scope="row"><code>{_e(a["arm"])}</code></th>'
                    + "".join(f'<td class="num">{_e(c)}</td>' for c in cells) + "</tr>")
    status = "fail" if readout.ratio.mismatch else "pass"
    ratio = f'<p><span class="badge {status}">{_e(ratio_line(readout))}</span></p>'
    html = (f'<h3 id="experiment-{_e(experiment.name)}">{_e(title)}</h3>'
            f"<p>On segment <code>{_e(experiment.segment)}</code>, salt "
            f"<code>{_e(experiment.salt)}</code>.</p>"
            + _table(["arm", "declared share", "size", "observed share"], arms, {1, 2, 3},
                     f"Arms of {experiment.name}") + ratio)
    if not readout.rows:
        return html + ("<p>No KPI given for this experiment: <code>segl report "
                       f"--experiment-kpi {_e(experiment.name)}:KPI</code> adds its readout."
                       "</p>")
    kpi_rows = []
    for row in rows(readout):
        interval = "–" if row["ci_low"] is None else \
            f"[{shown(row['ci_low'])}, {shown(row['ci_high'])}]"
        cells = [shown(row["value"]), shown(row["difference"]), interval,
                 shown(row["p_value"], "p"), shown(row["mde"])]
        kpi_rows.append(
            f'<tr><th scope="row"><code>{_e(row["kpi"])}</code> ({_e(row["kind"])})</th>'
            f'<td><code>{_e(row["arm"])}</code></td><td class="num">{_e(number(row["n"]))}</td>'
            + "".join(f'<td class="num">{_e(c)}</td>' for c in cells)
            + f"<td>{_e(row['test'] or 'control')}</td></tr>")
    return html + _table(["KPI", "arm", "n", "value", "difference", "95% CI", "p-value", "MDE",
                          "test"], kpi_rows, {2, 3, 4, 6, 7}, f"Readout of {experiment.name}")

"""segl.toml's `history` (docs/time.md): the default target of `segl snapshot --into`, read
by `segl history` when no dates are given and by `segl report` for its "Over time"
section once recorded."""

from __future__ import annotations

from click.testing import CliRunner
from segl.runtime.cli import main

from .small_shop import write_project


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def project(tmp_path, history: str = 'history = "out/h.duckdb"'):
    seg = write_project(tmp_path)
    (tmp_path / "segl.toml").write_text(
        f'[segl]\nentry = ["small.seg"]\nas_of = "2026-06-30"\n{history}\n')
    return seg


def test_snapshot_history_and_report_use_the_setting(tmp_path):
    seg = project(tmp_path)
    report = tmp_path / "r.html"
    assert cli("report", str(seg), "--out", str(report)).exit_code == 0
    assert 'id="over-time"' not in report.read_text()  # nothing recorded yet
    done = cli("snapshot", str(seg), "--as-of", "2026-01-31..2026-06-30")
    assert done.exit_code == 0, done.output
    assert (tmp_path / "out" / "h.duckdb").is_file()
    recorded = cli("history", str(seg), "--format", "csv")
    evaluated = cli("history", str(seg), "--from", "2026-01-31", "--to", "2026-06-30",
                    "--format", "csv")
    assert recorded.exit_code == 0 and recorded.output == evaluated.output
    assert cli("report", str(seg), "--out", str(report)).exit_code == 0
    page = report.read_text()
    assert 'id="over-time"' in page and "out/h.duckdb" in page


def test_snapshot_needs_a_target(tmp_path):
    seg = project(tmp_path, history="")
    done = CliRunner().invoke(main, ["snapshot", str(seg), "--as-of", "2026-01-31"])
    assert done.exit_code == 2 and "--into TARGET" in done.output


def test_a_bad_setting_is_named(tmp_path):
    seg = project(tmp_path, history="history = 3")
    done = CliRunner().invoke(main, ["snapshot", str(seg), "--as-of", "2026-01-31"])
    assert done.exit_code == 2 and "`history` is a DuckDB file" in done.output

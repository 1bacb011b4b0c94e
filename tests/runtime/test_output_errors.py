"""A full disk while writing an output: every command that writes a file reports which file
could not be written and why (exit code 2), keeps the previous file as it was and leaves no
temporary file behind.

The disk is "full" through RLIMIT_FSIZE in a child process: the kernel then refuses a write
past the limit with EFBIG (Python ignores SIGXFSZ) at the same system call, and through the
same code (DuckDB's COPY for members, Python's writes for text), where a full disk refuses it
with ENOSPC. Unlike a monkeypatched write it exercises DuckDB's own writer; unlike a small
tmpfs it needs no root. (docs/engines.md reports the same commands on a full 64 KB tmpfs.)
"""

from __future__ import annotations

import errno
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from segl.runtime.atomic_files import atomic_path
from segl.runtime.errors import OutputError

from tests.conftest import ROOT

# Runs each command in one child process, with the given soft limit on file sizes.
DRIVER = """
import json, resource, sys
from click.testing import CliRunner
from segl.runtime.cli import main

results = []
for limit, args in json.loads(sys.argv[1]):
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    result = CliRunner().invoke(main, args)
    resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    crash = result.exception if not isinstance(result.exception, SystemExit) else None
    results.append({"code": result.exit_code, "stderr": result.stderr,
                    "crash": repr(crash) if crash else None})
print(json.dumps(results))
"""

SEG = """\
entity customer from parquet "data/customers.parquet" key customer_id
segment old = age > 40
segment amsterdam = city = "Amsterdam"
"""
PREVIOUS = "the previous output\n"


def run_with_file_size_limit(commands: list[tuple[int, list[str]]], cwd) -> list[dict]:
    completed = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(commands)], cwd=cwd,
                               capture_output=True, text=True, check=True)
    return json.loads(completed.stdout)


@pytest.fixture
def workspace(tmp_path):
    (tmp_path / "data").mkdir()
    pl.DataFrame({"customer_id": range(1, 20_001),
                  "city": ["Amsterdam", "Utrecht"] * 10_000,
                  "age": [20 + i % 50 for i in range(20_000)]}).write_parquet(
        tmp_path / "data/customers.parquet")
    (tmp_path / "t.seg").write_text(SEG)
    (tmp_path / "base.seg").write_text(SEG.replace("> 40", "> 30"))
    shutil.copytree(ROOT / "examples/shop", tmp_path / "shop",
                    ignore=shutil.ignore_patterns("data"))
    out = tmp_path / "out"
    out.mkdir()
    return tmp_path


# (command, the file it writes, a size limit below that file's size)
WRITERS = [
    (["run", "t.seg", "--as-of", "2026-06-30", "--out", "out/m.parquet"], "out/m.parquet", 2048),
    (["run", "t.seg", "--as-of", "2026-06-30", "--out", "out/m.csv"], "out/m.csv", 2048),
    (["run", "t.seg", "--as-of", "2026-06-30", "--out", "out/m.json", "--shape", "wide"],
     "out/m.json", 2048),
    (["compile", "shop/shop.seg", "--out", "out/shop.sql"], "out/shop.sql", 2048),
    (["report", "t.seg", "--as-of", "2026-06-30", "--out", "out/report.html"],
     "out/report.html", 2048),
    (["overlap", "t.seg", "--as-of", "2026-06-30", "--out", "out/pairs.csv"],
     "out/pairs.csv", 16),
    (["diff", "base.seg", "t.seg", "--out", "out/diff.txt"], "out/diff.txt", 16),
    (["lint", "t.seg", "--format", "sarif", "--output", "out/lint.sarif"],
     "out/lint.sarif", 2048),
]


def test_every_writer_names_the_file_keeps_the_previous_one_and_leaves_no_temp_file(
        workspace):
    for _, target, _ in WRITERS:
        (workspace / target).write_text(PREVIOUS)
    results = run_with_file_size_limit([(limit, args) for args, _, limit in WRITERS],
                                       workspace)
    for (args, target, _), result in zip(WRITERS, results, strict=True):
        assert result["crash"] is None, (args, result)
        assert result["code"] == 2, (args, result)
        assert (f"error: cannot write `{target}`: file too large (EFBIG); the previous "
                f"`{target}` is unchanged") in result["stderr"], (args, result)
        assert (workspace / target).read_text() == PREVIOUS
    assert sorted(p.name for p in (workspace / "out").iterdir()) == sorted(
        target.removeprefix("out/") for _, target, _ in WRITERS)


def test_a_new_output_that_cannot_be_written_leaves_nothing(workspace):
    (result,) = run_with_file_size_limit([(2048, WRITERS[0][0])], workspace)
    assert result["code"] == 2
    assert ("cannot write `out/m.parquet`: file too large (EFBIG); no file was written"
            in result["stderr"])
    assert list((workspace / "out").iterdir()) == []


def test_fmt_keeps_the_file_it_could_not_rewrite(workspace):
    messy = (ROOT / "examples/shop/shop.seg").read_text().replace(" = ", "   =   ")
    path = workspace / "shop/shop.seg"
    path.write_text(messy)
    (result,) = run_with_file_size_limit([(2048, ["fmt", "shop/shop.seg"])], workspace)
    assert result["code"] == 2 and result["crash"] is None, result
    assert "cannot write `shop/shop.seg`: file too large (EFBIG); the previous" \
        in result["stderr"]
    assert path.read_text() == messy
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]


def test_init_takes_back_a_half_written_project(tmp_path):
    # the project file and the segments fit; the sample data does not
    (result,) = run_with_file_size_limit([(2048, ["init", "new"])], tmp_path)
    assert result["code"] == 2 and result["crash"] is None, result
    assert "cannot write `new/data/customers.csv`: file too large (EFBIG)" in result["stderr"]
    assert list((tmp_path / "new").iterdir()) == []


@pytest.mark.parametrize("failure", [
    OSError(errno.ENOSPC, "No space left on device"),
    # how DuckDB's COPY reports it: the errno inside a message about its own temporary file
    duckdb.IOException('IO Error: Async write failed for range [offset=3, size=9]: '
                       '{"exception_type":"IO","exception_message":"Could not write file '
                       '\\"tmp_.m.csv.x.tmp\\": No space left on device","errno":"28"}'),
])
def test_a_full_disk_is_named_by_its_errno(tmp_path, failure):
    target = tmp_path / "m.csv"
    target.write_text(PREVIOUS)
    with pytest.raises(OutputError) as caught, atomic_path(str(target)) as temp:
        Path(temp).write_text("half a file")
        raise failure
    assert str(caught.value) == (f"cannot write `{target}`: no space left on device (ENOSPC); "
                                 f"the previous `{target}` is unchanged")
    assert target.read_text() == PREVIOUS and [p.name for p in tmp_path.iterdir()] == ["m.csv"]

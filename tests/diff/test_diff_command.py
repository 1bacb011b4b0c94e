"""`segl diff` on a scripted git repository holding the example shop's `.seg` files (its data
linked, not copied): the pull-request comment, JSON, exit codes, errors named by revision."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import date, timedelta

import duckdb
import pytest
from click.testing import CliRunner
from segl.runtime.cli import main

from tests.conftest import ROOT

SHOP = ROOT / "examples/shop"
AS_OF = date(2026, 6, 30)
LOYAL = "  where orders_1y >= loyal_orders"  # in the block of segment loyal
LOYAL_3 = "  where orders_1y >= 3"
EXPLORERS = "  where categories_bought >= 4"  # in the block of segment explorers


def git(repo, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=env).stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """Two commits: `base` (the shop as bundled) and `main` (loyal needs 3 orders, and a
    segment reformatted); a side branch `broken` whose shop.seg does not compile."""
    path = tmp_path_factory.mktemp("analysts")
    for name in ("shop.seg", "features.seg", "sources.seg"):
        shutil.copy(SHOP / name, path / name)
    (path / "data").symlink_to(SHOP / "data")  # data stays outside git, as in practice
    (path / "segl.toml").write_text('[segl]\nentry = ["shop.seg"]\nas_of = "2026-06-30"\n')
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "shop.seg", "features.seg", "sources.seg", "segl.toml")
    git(path, "commit", "-q", "-m", "base")
    git(path, "tag", "base")
    git(path, "checkout", "-q", "-b", "broken")
    shop = path / "shop.seg"
    text = shop.read_text()
    assert LOYAL in text and EXPLORERS in text  # the example as this test expects it
    shop.write_text(text.replace(LOYAL, "  where orders_1yr >= 4"))
    git(path, "commit", "-q", "-am", "typo")
    git(path, "checkout", "-q", "main")
    text = text.replace(LOYAL, LOYAL_3)
    text = text.replace(EXPLORERS, "  where   categories_bought>=4   # formatting only")
    shop.write_text(text)
    git(path, "commit", "-q", "-am", "loyal from 3 orders")
    return path


def segl(repo, *args):
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(cwd)


def paid_orders_last_year() -> dict[int, int]:
    """Independently of segl: paid orders per customer with as_of - 365 days < day <= as_of."""
    rows = duckdb.connect().execute(
        "SELECT c.customer_id, count(o.customer_id) FROM read_parquet(?) c "
        "LEFT JOIN read_parquet(?) o ON o.customer_id = c.customer_id AND o.status = 'paid' "
        "AND CAST(o.ordered_at AS DATE) > ? AND CAST(o.ordered_at AS DATE) <= ? GROUP BY 1",
        [str(SHOP / "data/customers.parquet"), str(SHOP / "data/orders.parquet"),
         AS_OF - timedelta(days=365), AS_OF]).fetchall()
    return dict(rows)


def joiners_by_city(orders: dict[int, int]) -> list[tuple[str, int]]:
    """Customers with exactly 3 paid orders (loyal at 3, not at 4) per city, largest first."""
    cities = dict(duckdb.connect().execute(
        "SELECT customer_id, city FROM read_parquet(?)",
        [str(SHOP / "data/customers.parquet")]).fetchall())
    by_city: dict[str, int] = {}
    for key, n in orders.items():
        if n == 3:
            by_city[cities[key]] = by_city.get(cities[key], 0) + 1
    return sorted(by_city.items(), key=lambda kv: (-kv[1], kv[0]))[:10]


def test_markdown_comment_names_the_change_and_counts_members(repo, tmp_path):
    out = tmp_path / "comment.md"
    result = segl(repo, "diff", "base", "main", "--data", "--by", "city", "--format",
                  "markdown", "--out", str(out))
    assert result.exit_code == 1, result.output
    comment = out.read_text()
    assert comment.startswith("<!-- segl-diff -->\n## segl diff: `base` → `main`")
    assert "segment `loyal` · Loyal customers | widens |" in comment
    assert "condition: `orders_1y >= loyal_orders` → `orders_1y >= 3` (widens)" in comment
    orders = paid_orders_last_year()
    before = sum(1 for n in orders.values() if n >= 4)
    after = sum(1 for n in orders.values() if n >= 3)
    joined = sorted(key for key, n in orders.items() if n == 3)
    assert before < after
    assert (f"| segment `loyal` · Loyal customers | widens | {before:,} → {after:,} "
            f"(+{after - before:,}) | {after - before:,} | 0 |") in comment
    examples = ", ".join(str(k) for k in joined[:5])
    assert f"| segment `loyal` | {before:,} | {examples}, … ({len(joined):,}) | 0 |" in comment
    # young_loyal is built on loyal: changed through it, and wider
    assert "segment `young_loyal` | widens |" in comment
    assert "through segment `loyal`" in comment
    # the reformatted segment is not a change
    assert "explorers" not in comment
    assert "<details><summary>Compiled SQL (duckdb)" in comment
    sql = comment.split("```diff\n")[1].split("```")[0]
    assert "\n-    COALESCE(orders_1y >= 4, FALSE) AS loyal," in sql
    assert "\n+    COALESCE(orders_1y >= 3, FALSE) AS loyal," in sql
    # joiners by city: the ten largest cities
    section = comment.split("`loyal` by `city`:")[1].split("\n\n")[1]
    assert section.splitlines()[2:] == [f"| {city} | {n:,} | 0 |"
                                        for city, n in joiners_by_city(orders)]


def test_breakdown_counts_joiners_by_city(repo):
    result = segl(repo, "diff", "base", "main", "--data", "--by", "city", "--format", "json",
                  "--examples", "3")
    assert result.exit_code == 1
    report = json.loads(result.output)
    loyal = next(g for g in report["entries"][0]["members"]["groups"]
                 if g["name"] == "loyal")
    orders = paid_orders_last_year()
    assert [(b["value"], b["joined"], b["left"]) for b in loyal["breakdown"]] == \
        [(city, n, 0) for city, n in joiners_by_city(orders)]
    assert loyal["joined_examples"] == sorted(k for k, n in orders.items() if n == 3)[:3]
    # every entity joining or leaving a lifecycle bucket moved from or to another one
    entry = report["entries"][0]
    moves = [m for m in entry["moves"] if m["segmentation"] == "lifecycle"]
    assert moves and all(m["from"] != m["to"] for m in moves)
    for group in entry["members"]["groups"]:
        if group["name"].startswith("lifecycle."):
            bucket = group["name"].split(".")[1]
            assert group["joined"] == sum(m["entities"] for m in moves if m["to"] == bucket)
            assert group["left"] == sum(m["entities"] for m in moves if m["from"] == bucket)


def test_json_schema(repo):
    result = segl(repo, "diff", "base", "main", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert set(report) == {"schema", "base", "head", "dialect", "as_of", "by", "changed",
                           "summary", "entries"}
    assert report["schema"] == "segl-diff/1" and report["changed"] is True
    assert report["as_of"] is None and report["by"] is None  # no --data
    (entry,) = report["entries"]
    assert set(entry) == {"file", "in_base", "in_head", "changed", "errors", "files_changed",
                          "objects", "sql", "members", "moves"}
    assert entry["file"] == "shop.seg" and entry["members"] is None and entry["moves"] is None
    assert entry["files_changed"] == ["shop.seg"]
    loyal = next(o for o in entry["objects"] if o["name"] == "loyal")
    assert loyal == {
        "kind": "segment", "name": "loyal", "label": "Loyal customers", "status": "changed",
        "direction": "widens", "members_may_change": True, "through": [],
        "changes": [{"what": "condition", "before": "orders_1y >= loyal_orders",
                     "after": "orders_1y >= 3", "direction": "widens", "note": None}]}
    assert {o["name"] for o in entry["objects"]} >= {"loyal", "young_loyal", "lifecycle",
                                                      "lifecycle.loyal"}
    assert entry["sql"]["dialect"] == "duckdb" and entry["sql"]["diff"].startswith("--- base")


def test_no_change_exits_0_and_formatting_only_is_no_semantic_change(repo):
    assert segl(repo, "diff", "main", "main").exit_code == 0
    shop = repo / "shop.seg"
    original = shop.read_text()
    try:
        shop.write_text("# reviewed\n" + original.replace(LOYAL_3, LOYAL_3.replace(" >= ", ">=")))
        result = segl(repo, "diff", "main")  # against the working tree
        assert result.exit_code == 0, result.output
        assert "no semantic change (text changed in shop.seg)" in result.output
        markdown = segl(repo, "diff", "main", "--format", "markdown")
        assert markdown.exit_code == 0
        assert "**no semantic change**" in markdown.output
    finally:
        shop.write_text(original)


def test_sql_diff_for_another_dialect(repo):
    diffs = {}
    for dialect in ("duckdb", "tsql"):
        result = segl(repo, "diff", "base", "main", "--dialect", dialect, "--format", "json")
        sql = json.loads(result.output)["entries"][0]["sql"]
        assert sql["dialect"] == dialect
        changed = [line for line in sql["diff"].splitlines()
                   if line[:1] in "+-" and line[:3] not in ("+++", "---")]
        assert len(changed) == 2, sql["diff"]  # the loyal column, before and after
        assert "orders_1y >= 4" in changed[0] and "orders_1y >= 3" in changed[1]
        diffs[dialect] = changed
    assert diffs["duckdb"] != diffs["tsql"]  # T-SQL has no booleans: 1/0


def test_compile_error_in_base_is_reported_with_the_revision(repo):
    result = segl(repo, "diff", "broken", "main")
    assert result.exit_code == 2
    broken = subprocess.run(["git", "-C", str(repo), "show", "broken:shop.seg"], check=True,
                            capture_output=True, text=True).stdout.splitlines()
    line, column = next((i + 1, text.index("orders_1yr") + 1)
                        for i, text in enumerate(broken) if "orders_1yr" in text)
    assert f"broken:shop.seg:{line}:{column}: error[E101]: unknown name `orders_1yr`" \
        in result.output
    markdown = segl(repo, "diff", "broken", "main", "--format", "markdown")
    assert "**Does not compile in `broken`:**" in markdown.output


def test_usage_errors_exit_2(repo):
    assert segl(repo, "diff", "no-such-revision").exit_code == 2
    assert segl(repo, "diff", "base", "main", "--by", "city").exit_code == 2  # needs --data
    result = segl(repo, "diff", "base", "main", "--data", "--by", "cty")
    assert result.exit_code == 2
    assert "table `customer` has no column `cty`" in result.output


def test_two_paths(tmp_path):
    for side in ("old", "new"):
        (tmp_path / side).mkdir()
        for name in ("shop.seg", "features.seg", "sources.seg"):
            shutil.copy(SHOP / name, tmp_path / side / name)
    new_shop = tmp_path / "new/shop.seg"
    new_shop.write_text(new_shop.read_text().replace(
        EXPLORERS, "  where categories_bought >= 5"))
    folders = segl(tmp_path, "diff", "old", "new", "--format", "json")
    assert folders.exit_code == 1, folders.output
    (entry,) = json.loads(folders.output)["entries"]
    assert entry["file"] == "shop.seg"  # features.seg and sources.seg are imported by it
    assert [(o["name"], o["direction"]) for o in entry["objects"]] == [("explorers", "narrows")]
    files = segl(tmp_path, "diff", "old/shop.seg", "new/shop.seg")
    assert files.exit_code == 1
    assert "narrows  segment explorers" in files.output
    assert segl(tmp_path, "diff", "old", "old").exit_code == 0


def test_a_new_entry_file_is_all_added_and_text_goes_to_out(repo, tmp_path):
    extra = repo / "extra.seg"
    extra.write_text('import "features.seg"\n\nsegment heavy = orders_total >= 10\n')
    try:
        out = tmp_path / "diff.txt"
        result = segl(repo, "diff", "main", "extra.seg", "--format", "json")
        assert result.exit_code == 1
        (entry,) = json.loads(result.output)["entries"]
        assert (entry["in_base"], entry["in_head"]) == (False, True)
        assert {"status": "added", "name": "heavy"}.items() <= \
            next(o for o in entry["objects"] if o["name"] == "heavy").items()
        assert segl(repo, "diff", "main", "extra.seg", "--out", str(out)).exit_code == 1
        text = out.read_text()
        assert "new file (not in main)" in text and "added  segment heavy" in text
        assert "[bold]" not in text  # markup rendered, not written
    finally:
        extra.unlink()

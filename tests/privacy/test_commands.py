"""Every command that writes or prints data refuses personal data its object does not allow
(E504, exit 2, naming the column and what to declare) and outputs it once allowed. No value
of a personal column appears in what a refused command prints or writes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from segl.runtime.cli import main

CUSTOMERS = [
    {"customer_id": 1, "email": "zoe.private@example.org", "postcode": "1234QX",
     "religion": "Pastafarian", "city": "Utrecht"},
    {"customer_id": 2, "email": "max.secret@example.org", "postcode": "5678QY",
     "religion": "Jedi", "city": "Utrecht"},
    {"customer_id": 3, "email": "kim@example.net", "postcode": "5678QY",
     "religion": None, "city": "Delft"},
]
AREAS = [{"code": "1234QX", "region": "Noordkwartier"}, {"code": "5678QY", "region": "Zuidhoek"}]
ORDERS = [{"customer_id": 1, "ordered_at": datetime(2026, 1, 5, 10), "amount": 20.0},
          {"customer_id": 2, "ordered_at": datetime(2026, 2, 5, 10), "amount": 35.0}]
# Values only the data holds: none may appear in a refused command's output.
PERSONAL_VALUES = ["zoe.private", "max.secret", "kim@", "1234QX", "5678QY", "Pastafarian",
                   "Jedi", "Noordkwartier", "Zuidhoek"]

WHY = 'purpose "Invite customers near a store to its opening"'
SEG = """\
entity customer from parquet "{data}/customers.parquet" key customer_id {{
  customer_id int
  email text pii
  postcode text pii
  religion text sensitive
  city text
}}
lookup area from parquet "{data}/areas.parquet" key code for customer.postcode {{
  code text
  region text
}}
events orders from parquet "{data}/orders.parquet" key customer_id at ordered_at {{
  ordered_at timestamp
  amount float
}}

segment buyers = count(orders) > 0
segment near {{
  {near}
  where area.region is present
}}
segment org_mail {{
  {mail}
  where email ends with ".org"
}}
segmentation faith {{
  {faith}
  stated when religion is present
  else unstated
}}
kpi revenue = sum(orders.amount)
kpi faith_share = sum(case when religion is present then 1 else 0 end) / count(customer_id)
  {kpi}
persona pat for buyers {{
  {persona}
  postcode "1011AA"
  city "Utrecht"
}}
test mail {{
  rows customer (customer_id, email) {{
    (1, "a@example.org")
  }}
  expect org_mail = (1)
}}
"""
REFUSED = {"near": "", "mail": "", "faith": "", "kpi": "", "persona": ""}
ALLOWED = {"near": f"{WHY}\n  allow (area.region)", "mail": f"{WHY}\n  allow (email)",
           "faith": f"{WHY}\n  allow (religion)", "kpi": f"{WHY}\n  allow (religion)",
           "persona": f"{WHY}\n  allow (postcode)"}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("data")
    pl.DataFrame(CUSTOMERS).write_parquet(folder / "customers.parquet")
    pl.DataFrame(AREAS).write_parquet(folder / "areas.parquet")
    pl.DataFrame(ORDERS).write_parquet(folder / "orders.parquet")
    return folder


def write(folder: Path, data: Path, permits: dict[str, str]) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "p.seg"
    path.write_text(SEG.format(data=data, **permits), encoding="utf-8")
    return path


@pytest.fixture
def refused(tmp_path, data) -> Path:
    return write(tmp_path / "refused", data, REFUSED)


@pytest.fixture
def allowed(tmp_path, data) -> Path:
    return write(tmp_path / "allowed", data, ALLOWED)


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def refusals(result) -> dict[str, str]:
    """Object -> the rendered E504 diagnostic that names it (its message says "the … of
    KIND `NAME`")."""
    return {block.split("`")[3]: block for block in result.stderr.split("error[E504]: ")[1:]}


def no_personal_value(result, written: Path | None = None) -> None:
    text = result.output + (written.read_text() if written and written.exists() else "")
    assert not [v for v in PERSONAL_VALUES if v in text], text


AS_OF = ("--as-of", "2026-06-30")


# (command, the objects it refuses in the refused project); {seg} and {out} are filled in
COMMANDS = [
    (["run", "{seg}", *AS_OF, "--out", "{out}/members.csv"], {"near", "org_mail", "faith"}),
    (["run", "{seg}", *AS_OF, "--format", "table"], {"near", "org_mail", "faith"}),
    (["run", "{seg}", *AS_OF, "--shape", "wide", "--out", "{out}/m.parquet"],
     {"near", "org_mail", "faith"}),
    (["test", "{seg}"], {"org_mail"}),
    (["kpis", "{seg}", *AS_OF], {"faith_share"}),
    (["persona", "pat", "{seg}", *AS_OF], {"pat", "faith_share"}),
    (["report", "{seg}", *AS_OF, "--out", "{out}/report.html"], {"pat", "faith_share"}),
    (["diff", "{dir}", "{dir}", "--data", *AS_OF], {"near", "org_mail", "faith"}),
    (["snapshot", "{seg}", *AS_OF, "--into", "{out}/history.duckdb"],
     {"near", "org_mail", "faith"}),
    (["history", "{seg}", "--from", "2026-05-31", "--to", "2026-06-30", "--keys"],
     {"near", "org_mail", "faith"}),
    (["diff", "{dir}", "{dir}", "--data", *AS_OF, "--examples", "0", "--by", "postcode"],
     {"buyers", "near", "org_mail", "faith"}),
]


def filled(args: list[str], seg: Path, out: Path) -> list[str]:
    return [a.format(seg=seg, out=out, dir=seg.parent) for a in args]


@pytest.mark.parametrize(("args", "objects"), COMMANDS, ids=lambda a: " ".join(a[:2])
                         if isinstance(a, list) else None)
def test_each_output_refuses_without_an_allow(refused, tmp_path, args, objects):
    result = run(*filled(args, refused, tmp_path))
    assert result.exit_code == 2, result.output
    assert set(refusals(result)) == objects, result.stderr
    no_personal_value(result)
    assert not list(tmp_path.glob("members.csv")) and not list(tmp_path.glob("report.html"))


@pytest.mark.parametrize(("args", "objects"), COMMANDS[:-1], ids=lambda a: " ".join(a[:2])
                         if isinstance(a, list) else None)
def test_each_output_passes_with_an_allow(allowed, tmp_path, args, objects):
    result = run(*filled(args, allowed, tmp_path))
    assert result.exit_code == 0, result.output
    assert "E504" not in result.output


def test_a_refusal_names_the_column_and_what_to_declare(refused, tmp_path):
    result = run("run", refused, *AS_OF, "--out", tmp_path / "m.csv")
    near = refusals(result)["near"]
    assert near.startswith("`segl run --out` would output the members of segment `near`, "
                           "derived from personal data that it does not allow: `area.region` "
                           "(through `postcode`, pii)\n")
    line = SEG.splitlines().index("segment near {{") + 1
    assert f"{refused}:{line}:9: error[E504]" in result.stderr  # at the name: `near`
    assert '= hint: declare why and what in segment `near`: `purpose "…"` and ' \
           "`allow (area.region)`" in near
    assert "= hint: or write the others only: `segl run --segment NAME …`" in near


def test_the_previous_output_is_intact_after_a_refusal(refused, tmp_path):
    target = tmp_path / "members.csv"
    target.write_text("previous\n")
    assert run("run", refused, *AS_OF, "--out", target).exit_code == 2
    assert target.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".members")] == []


def test_what_is_not_personal_still_leaves(refused, tmp_path):
    """Only the refused objects' outputs are refused: choose the others."""
    target = tmp_path / "members.csv"
    result = run("run", refused, *AS_OF, "--segment", "buyers", "--out", target)
    assert result.exit_code == 0, result.output
    assert target.read_text() == "customer_id,segment\n1,buyers\n2,buyers\n"
    result = run("kpis", refused, *AS_OF, "--kpi", "revenue")
    assert result.exit_code == 0 and "faith_share" not in result.output
    # counts per group, by a column that is not personal: the groups' own data is not in it
    for by in (("--by", "city"), ()):
        result = run("diff", refused.parent, refused.parent, "--data", *AS_OF, "--examples",
                     "0", *by)
        assert result.exit_code == 0, result.output


def test_counts_are_not_personal_values(refused):
    """Sizes, funnels and overlaps count entities: they print no value of a column."""
    for args in (["run", refused, *AS_OF], ["explain", "near", refused, *AS_OF],
                 ["overlap", refused, *AS_OF], ["check", refused, "--data", *AS_OF]):
        result = run(*args)
        assert result.exit_code == 0, result.output
        no_personal_value(result)


def test_allowed_outputs_carry_the_values(allowed, tmp_path):
    """With the allows the same commands show what they refused (so the refusals above are
    about the allow, not about an output that is empty anyway)."""
    persona = run("persona", "pat", allowed, *AS_OF)
    assert "1234QX 50%" in persona.output and "5678QY 50%" in persona.output
    target = tmp_path / "members.csv"
    run("run", allowed, *AS_OF, "--shape", "wide", "--out", target)
    assert "stated" in target.read_text()
    by = run("diff", allowed.parent, allowed.parent, "--data", *AS_OF, "--examples", "0",
             "--by", "postcode")
    assert by.exit_code == 2 and "`segl diff --data --by` would output the joiners and " \
        "leavers of segment `buyers` counted by `postcode`" in by.stderr
    assert "declare why and what in segment `buyers`" in by.stderr
    # the segment that allows the postcode itself is not refused
    assert "of segment `near`" in by.stderr and "allow (postcode)" in by.stderr


def test_the_report_page_holds_the_allowed_values(allowed, tmp_path):
    page = tmp_path / "report.html"
    assert run("report", allowed, *AS_OF, "--out", page).exit_code == 0
    assert "1234QX" in page.read_text()


KEYED = """\
entity customer from parquet "{data}/customers.parquet" key email {{
  email text pii
  postcode text pii
  city text
}}
segment utrecht = city = "Utrecht"
segment org_mail {{
  purpose "Mail the customers of our own domain"
  allow (email)
  where email ends with ".org"
}}
segment near {{
  purpose "Invite customers near a store to its opening"
  allow (postcode)
  where postcode is present
}}
"""


def test_a_personal_key_needs_an_allow_wherever_keys_leave(tmp_path, data):
    seg = tmp_path / "keyed.seg"
    seg.write_text(KEYED.format(data=data))
    result = run("run", seg, *AS_OF, "--out", tmp_path / "m.csv")
    assert result.exit_code == 2
    assert set(refusals(result)) == {"utrecht", "near"}  # org_mail allows the e-mail address
    assert "`email` (pii)" in refusals(result)["near"]
    no_personal_value(result)
    # counts need no allow
    assert run("run", seg, *AS_OF).exit_code == 0

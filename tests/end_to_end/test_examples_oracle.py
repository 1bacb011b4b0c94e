"""The example segments, checked against an independent oracle.

For every segment of `examples/shop/shop.seg` and `examples/b2b/accounts.seg`, the members
that segl computes on DuckDB must equal the members computed here in plain Python: the
Parquet files are read with polars into Python dicts, and every feature and segment is
evaluated with ordinary loops, mirroring the `.seg` text one function at a time. No SQL and
no part of segl's compiler are used for the oracle (the compiler is only asked for the list
of segment names, so that a new segment without an oracle fails this test).

The oracle implements the language's semantics as specified, not as compiled:

- events after `as_of` are invisible; `in last N days` is `as_of - N days < date <= as_of`,
  `in last N months/years` subtracts calendar months (clamped to the month's end),
  `from D1 to D2` includes both days, `since D` includes D, `before D` excludes D;
- `count` counts rows whose condition is true (0 without rows), `sum` is 0 without values,
  `avg/min/max` are missing without values, `most_frequent` breaks ties by the smallest
  value, `first` takes the earliest row (ties by the smallest value);
- missing values follow SQL's three-valued logic, `/` is exact and missing when dividing by
  zero, a segment admits an entity only when its condition is true, and a segment used in
  another segment is true or false, never missing;
- `top P% by e` ranks the entities with a value by e descending, then key ascending, and
  keeps those whose row number r has `r * 100 <= P * n`.

Amounts are summed exactly (as the decimal numbers the data holds) and divisions are exact
fractions, so the oracle has no rounding of its own.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest
from segl.compiler.api import compile_file
from segl.runtime.api import evaluate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

DEFAULT_AS_OF = dt.date(2026, 6, 30)  # the examples' default
EARLIER_AS_OF = dt.date(2025, 12, 31)  # proves that windows move with as_of
AS_OFS = [DEFAULT_AS_OF, EARLIER_AS_OF]


# ====================================================================== three-valued logic
# None is a missing value. Comparisons with a missing value are missing; `and`, `or` and
# `not` follow SQL.


def and_(*values: bool | None) -> bool | None:
    result: bool | None = True
    for value in values:
        if value is False:
            return False
        if value is None:
            result = None
    return result


def or_(*values: bool | None) -> bool | None:
    result: bool | None = False
    for value in values:
        if value is True:
            return True
        if value is None:
            result = None
    return result


def not_(value: bool | None) -> bool | None:
    return None if value is None else not value


def eq(a, b) -> bool | None:
    return None if a is None or b is None else a == b


def ne(a, b) -> bool | None:
    return None if a is None or b is None else a != b


def lt(a, b) -> bool | None:
    return None if a is None or b is None else a < b


def le(a, b) -> bool | None:
    return None if a is None or b is None else a <= b


def gt(a, b) -> bool | None:
    return None if a is None or b is None else a > b


def ge(a, b) -> bool | None:
    return None if a is None or b is None else a >= b


def between(value, low, high) -> bool | None:
    return and_(ge(value, low), le(value, high))


def in_(value, options: Iterable) -> bool | None:
    return None if value is None else value in tuple(options)


def starts_with(value: str | None, prefix: str) -> bool | None:
    return None if value is None else value.startswith(prefix)


def is_missing(value) -> bool:
    return value is None


def is_present(value) -> bool:
    return value is not None


# ====================================================================== arithmetic


def exact(value):
    """A number as an exact value: floats are taken as the decimal number they print as."""
    if value is None or isinstance(value, (int, Decimal, Fraction)):
        return value
    return Decimal(repr(value))


def mul(a, b):
    return None if a is None or b is None else exact(a) * exact(b)


def div(a, b):
    if a is None or b is None or b == 0:
        return None
    return Fraction(exact(a)) / Fraction(exact(b))


# ====================================================================== dates


def minus_months(day: dt.date, months: int) -> dt.date:
    """Calendar months back, clamped to the end of the month: 2026-03-31 - 1 month = 02-28."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def midnight(day: dt.date) -> dt.datetime:
    """A date where a timestamp is expected: the start of that day."""
    return dt.datetime.combine(day, dt.time())


def years_between(a: dt.date | None, b: dt.date | None) -> int | None:
    """Whole years, like an age."""
    if a is None or b is None:
        return None
    a, b = as_date(a), as_date(b)
    return b.year - a.year - (1 if (b.month, b.day) < (a.month, a.day) else 0)


def days_between(a, b) -> int | None:
    if a is None or b is None:
        return None
    return (as_date(b) - as_date(a)).days


# A window says which event dates an aggregate sees (on top of `date <= as_of`).
Window = Callable[[dt.date], bool]


@functools.cache  # one window object per distinct window
def in_last(as_of: dt.date, n: int, unit: str) -> Window:
    if unit == "days":
        start = as_of - dt.timedelta(days=n)
    elif unit == "weeks":
        start = as_of - dt.timedelta(weeks=n)
    elif unit == "months":
        start = minus_months(as_of, n)
    elif unit == "years":
        start = minus_months(as_of, 12 * n)
    else:
        raise ValueError(unit)
    return lambda day: start < day <= as_of


@functools.cache
def from_to(first: dt.date, last: dt.date) -> Window:
    return lambda day: first <= day <= last


@functools.cache
def since(first: dt.date) -> Window:
    return lambda day: day >= first


@functools.cache
def before(end: dt.date) -> Window:
    return lambda day: day < end


# ====================================================================== aggregates
# Each aggregate takes the visible rows of one entity (a list of dicts with a "@date" entry,
# the date of the row's time column), an optional row condition and an optional window.

Row = dict
Where = Callable[[Row], bool | None]


def matching(rows: list[Row], where: Where | None, window: Window | None) -> list[Row]:
    """The rows inside the window whose condition is true (not false, not missing)."""
    if window is not None:
        rows = [row for row in rows if window(row["@date"])]
    if where is not None:
        rows = [row for row in rows if where(row) is True]
    return rows


def values(rows, column, where, window) -> list:
    return [r[column] for r in matching(rows, where, window) if r[column] is not None]


def count(rows, where: Where | None = None, window: Window | None = None) -> int:
    return len(matching(rows, where, window))


def count_distinct(rows, column, where=None, window=None) -> int:
    return len(set(values(rows, column, where, window)))


def sum_(rows, column, where=None, window=None):
    return sum((exact(v) for v in values(rows, column, where, window)), 0)


def avg(rows, column, where=None, window=None):
    found = values(rows, column, where, window)
    return Fraction(sum(exact(v) for v in found)) / len(found) if found else None


def min_(rows, column, where=None, window=None):
    found = values(rows, column, where, window)
    return min(found) if found else None


def max_(rows, column, where=None, window=None):
    found = values(rows, column, where, window)
    return max(found) if found else None


def most_frequent(rows, column, where=None, window=None):
    counts = Counter(values(rows, column, where, window))
    if not counts:
        return None
    return min(counts, key=lambda value: (-counts[value], value))


def first(rows, column, time_column, where=None, window=None):
    found = [
        (r[time_column], r[column]) for r in matching(rows, where, window) if r[column] is not None
    ]
    return min(found)[1] if found else None


# ====================================================================== data


@functools.cache
def read_table(path: Path) -> list[Row]:
    return pl.read_parquet(path).to_dicts()


@functools.cache
def events_by_key(path: Path, key: str, time_column: str) -> dict[object, list[Row]]:
    """All rows of an events table, grouped by entity key, each with its "@date"."""
    grouped: dict[object, list[Row]] = defaultdict(list)
    for row in read_table(path):
        row["@date"] = row[time_column].date()
        grouped[row[key]].append(row)
    return {entity: sorted(rows, key=lambda r: r["@date"]) for entity, rows in grouped.items()}


class Events:
    """The rows of one events table that are visible at `as_of`, by entity key."""

    def __init__(self, path: Path, key: str, time_column: str, as_of: dt.date):
        self.time_column = time_column
        self._rows = {}
        for entity, rows in events_by_key(path, key, time_column).items():
            # rows are sorted by date: keep those up to and including as_of
            visible = rows[: bisect_right(rows, as_of, key=lambda r: r["@date"])]
            if visible:
                self._rows[entity] = visible

    def __getitem__(self, entity) -> list[Row]:
        return self._rows.get(entity, [])


# ====================================================================== oracle machinery


def feature(method):
    method.kind = "feature"
    return method


def segment(method):
    method.kind = "segment"
    return method


class Oracle:
    """Evaluates the features and segments declared in a subclass, in declaration order.
    A feature or segment method takes the entity (a namespace holding its columns and the
    features computed so far) and returns a value; a segment's value is its condition."""

    key: str

    def __init__(self, as_of: dt.date):
        self.as_of = as_of
        self.entities = [SimpleNamespace(**row) for row in self.entity_rows()]
        self._known: dict[str, dict] = defaultdict(dict)  # segment -> key -> member

    def entity_rows(self) -> list[Row]:
        raise NotImplementedError

    @classmethod
    @functools.cache
    def _declared(cls, kind: str) -> list[str]:
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if getattr(value, "kind", None) == kind and name not in names:
                    names.append(name)
        return names

    @classmethod
    def feature_names(cls) -> list[str]:
        return cls._declared("feature")

    @classmethod
    def segment_names(cls) -> list[str]:
        return cls._declared("segment")

    # -- helpers for segment methods

    def days_ago(self, days: int) -> dt.date:
        return self.as_of - dt.timedelta(days=days)

    def in_last(self, n: int, unit: str) -> Window:
        return in_last(self.as_of, n, unit)

    def days_since(self, value) -> int | None:
        return None if value is None else (self.as_of - as_date(value)).days

    def member(self, name: str, entity) -> bool:
        """A segment used inside another one: true or false, never missing."""
        return self._truth(name, entity)

    def _truth(self, name: str, entity) -> bool:
        """Whether the entity is a member of segment `name` (computed once)."""
        known = self._known[name]
        key = getattr(entity, self.key)
        if key not in known:
            known[key] = getattr(self, name)(entity) is True
        return known[key]

    def top(self, entity, n: float, by: str, percent: bool = False) -> bool:
        return getattr(entity, self.key) in self._top(n, by, percent)

    @functools.cache  # noqa: B019 - one oracle per (example, as_of), kept for the test run
    def _top(self, n: float, by: str, percent: bool) -> frozenset:
        ranked = sorted(
            (e for e in self.entities if getattr(e, by) is not None),
            key=lambda e: (-getattr(e, by), getattr(e, self.key)),
        )
        if percent:
            chosen = [e for r, e in enumerate(ranked, 1) if r * 100 <= n * len(ranked)]
        else:
            chosen = ranked[: int(n)]
        return frozenset(getattr(e, self.key) for e in chosen)

    # -- the run

    def members(self) -> dict[str, set]:
        """Every feature of every entity first (`top` ranks all entities), then segments."""
        features = [(name, getattr(self, name)) for name in self.feature_names()]
        for entity in self.entities:
            for name, compute in features:
                setattr(entity, name, compute(entity))
        return {
            name: {getattr(e, self.key) for e in self.entities if self._truth(name, e)}
            for name in self.segment_names()
        }


# ====================================================================== the shop


class ShopOracle(Oracle):
    """examples/shop/{sources,features,shop}.seg"""

    key = "customer_id"
    data = EXAMPLES / "shop" / "data"

    # params
    loyal_orders = 4
    lapsed_days = 180

    def __init__(self, as_of: dt.date):
        super().__init__(as_of)
        self.orders = Events(self.data / "orders.parquet", self.key, "ordered_at", as_of)
        self.web_events = Events(self.data / "web_events.parquet", self.key, "occurred_at", as_of)
        self.email_events = Events(
            self.data / "email_events.parquet", self.key, "occurred_at", as_of
        )
        self.survey_answers = Events(
            self.data / "survey_answers.parquet", self.key, "answered_at", as_of
        )

    def entity_rows(self):
        return read_table(self.data / "customers.parquet")

    # ---------------------------------------------------------------- features.seg

    @staticmethod
    def paid(order: Row) -> bool | None:
        return eq(order["status"], "paid")

    @feature
    def age(self, c):
        return years_between(c.birth_date, self.as_of)

    @feature
    def orders_1y(self, c):
        return count(self.orders[c.customer_id], self.paid, self.in_last(365, "days"))

    @feature
    def orders_total(self, c):
        return count(self.orders[c.customer_id], self.paid)

    @feature
    def spend_1y(self, c):
        return sum_(self.orders[c.customer_id], "amount", self.paid, self.in_last(365, "days"))

    @feature
    def spend_total(self, c):
        return sum_(self.orders[c.customer_id], "amount", self.paid)

    @feature
    def last_order(self, c):
        return max_(self.orders[c.customer_id], "ordered_at", self.paid)

    @feature
    def days_since_last_order(self, c):
        return self.days_since(c.last_order)

    @feature
    def avg_order_value(self, c):
        return div(c.spend_total, c.orders_total)

    @feature
    def favourite_category(self, c):
        return most_frequent(self.orders[c.customer_id], "category")

    @feature
    def first_channel(self, c):
        return first(self.orders[c.customer_id], "channel", "ordered_at")

    @feature
    def discounted_orders(self, c):
        return count(
            self.orders[c.customer_id],
            lambda o: and_(is_present(o["discount_code"]), eq(o["status"], "paid")),
        )

    @feature
    def categories_bought(self, c):
        return count_distinct(self.orders[c.customer_id], "category")

    @feature
    def pricing_views_30d(self, c):
        return count(
            self.web_events[c.customer_id],
            lambda w: eq(w["page"], "/pricing"),
            self.in_last(30, "days"),
        )

    @feature
    def sale_views_30d(self, c):
        return count(
            self.web_events[c.customer_id],
            lambda w: eq(w["page"], "/sale"),
            self.in_last(30, "days"),
        )

    @feature
    def email_opens_90d(self, c):
        return count(
            self.email_events[c.customer_id],
            lambda e: eq(e["event_type"], "open"),
            self.in_last(90, "days"),
        )

    @feature
    def email_clicks_90d(self, c):
        return count(
            self.email_events[c.customer_id],
            lambda e: eq(e["event_type"], "click"),
            self.in_last(90, "days"),
        )

    @feature
    def black_friday_orders(self, c):
        return count(
            self.orders[c.customer_id],
            self.paid,
            from_to(dt.date(2025, 11, 24), dt.date(2025, 12, 1)),
        )

    @feature
    def avg_nps(self, c):
        return avg(self.survey_answers[c.customer_id], "nps")

    # ---------------------------------------------------------------- shop.seg: demographic

    @segment
    def young_adults(self, c):
        return between(c.age, 18, 34)

    @segment
    def high_income(self, c):
        return ge(c.income, 75000)

    @segment
    def families(self, c):
        return and_(ge(c.household_size, 3), eq(c.lifestyle, "family"))

    @segment
    def higher_educated(self, c):
        return in_(c.education, ("bachelor", "master", "doctorate"))

    @segment
    def minors(self, c):
        return lt(c.age, 18)

    # ---- geographic

    @segment
    def randstad(self, c):
        return in_(c.province, ("Noord-Holland", "Zuid-Holland", "Utrecht"))

    @segment
    def big_cities(self, c):
        return in_(c.city, ("Amsterdam", "Rotterdam", "Den Haag", "Utrecht"))

    @segment
    def amsterdam_postcodes(self, c):
        return starts_with(c.postcode, "10")

    @segment
    def belgium(self, c):
        return eq(c.country, "BE")

    # ---- psychographic

    @segment
    def sustainability_minded(self, c):
        return or_(eq(c.interest, "sustainability"), ge(c.sustainability_score, 4))

    # ---- technographic

    @segment
    def ios_app_users(self, c):
        return and_(c.app_user, eq(c.device, "ios"))

    @segment
    def desktop_only(self, c):
        return and_(eq(c.device, "desktop"), not_(c.app_user))

    # ---- behavioural

    @segment
    def loyal(self, c):
        return ge(c.orders_1y, self.loyal_orders)

    @segment
    def one_time_buyers(self, c):
        return eq(c.orders_total, 1)

    @segment
    def never_ordered(self, c):
        return eq(c.orders_total, 0)

    @segment
    def at_most_one_order_1y(self, c):
        return le(c.orders_1y, 1)

    @segment
    def lapsed(self, c):
        return and_(gt(c.orders_total, 0), gt(c.days_since_last_order, self.lapsed_days))

    @segment
    def pricing_researchers(self, c):
        return and_(ge(c.pricing_views_30d, 1), eq(c.orders_1y, 0))

    @segment
    def email_engaged(self, c):
        return ge(c.email_clicks_90d, 1)

    @segment
    def black_friday_shoppers(self, c):
        return ge(c.black_friday_orders, 1)

    @segment
    def recent_first_timers(self, c):
        # last_order (a timestamp) >= as_of - 30 days (a date, i.e. that day's midnight)
        return and_(eq(c.orders_total, 1), ge(c.last_order, midnight(self.days_ago(30))))

    # ---- needs-based

    @segment
    def bargain_hunters(self, c):
        return or_(
            and_(
                ge(c.orders_total, 2),
                ge(mul(c.discounted_orders, 2), c.orders_total),
            ),
            ge(c.sale_views_30d, 3),
        )

    @segment
    def explorers(self, c):
        return ge(c.categories_bought, 4)

    # ---- value-based

    @segment
    def top_20pct(self, c):
        return self.top(c, 20, by="spend_total", percent=True)

    @segment
    def top_100_last_year(self, c):
        return self.top(c, 100, by="spend_1y")

    @segment
    def high_order_value(self, c):
        return ge(c.avg_order_value, 150)

    @segment
    def promoters(self, c):
        return ge(c.avg_nps, 9)

    # ---- composed

    @segment
    def young_urban(self, c):
        return and_(
            between(c.age, 25, 35),
            self.member("big_cities", c),
            eq(c.lifestyle, "urban professional"),
        )

    @segment
    def young_loyal(self, c):
        return and_(
            self.member("young_urban", c),
            self.member("loyal", c),
            not_(self.member("lapsed", c)),
        )

    @segment
    def vip_at_risk(self, c):  # extends top_20pct
        return and_(self.member("top_20pct", c), between(c.days_since_last_order, 90, 365))

    @segment
    def marketable_sustainable(self, c):  # extends sustainability_minded
        return and_(
            self.member("sustainability_minded", c),
            and_(c.consent_marketing, not_(self.member("minors", c))),
        )

    @segment
    def win_back(self, c):
        return and_(self.member("lapsed", c), self.member("email_engaged", c), c.consent_marketing)


# ====================================================================== b2b


class B2BOracle(Oracle):
    """examples/b2b/accounts.seg"""

    key = "account_id"
    data = EXAMPLES / "b2b" / "data"

    def __init__(self, as_of: dt.date):
        super().__init__(as_of)
        self.invoices = Events(self.data / "invoices.parquet", self.key, "invoiced_at", as_of)
        self.support_tickets = Events(
            self.data / "support_tickets.parquet", self.key, "opened_at", as_of
        )

    def entity_rows(self):
        return read_table(self.data / "accounts.parquet")

    # ---------------------------------------------------------------- features

    @feature
    def revenue_12m(self, a):
        return sum_(self.invoices[a.account_id], "amount", window=self.in_last(12, "months"))

    @feature
    def invoices_total(self, a):
        return count(self.invoices[a.account_id])

    @feature
    def last_invoice(self, a):
        return max_(self.invoices[a.account_id], "invoiced_at")

    @feature
    def product_lines(self, a):
        return count_distinct(self.invoices[a.account_id], "product_line")

    @feature
    def critical_tickets_90d(self, a):
        return count(
            self.support_tickets[a.account_id],
            lambda t: eq(t["severity"], "critical"),
            self.in_last(90, "days"),
        )

    @feature
    def open_tickets(self, a):
        return count(self.support_tickets[a.account_id],
                     lambda t: or_(is_missing(t["resolved"]), not_(t["resolved"])))

    @feature
    def account_age_years(self, a):
        return years_between(a.created_at, self.as_of)

    # ---------------------------------------------------------------- firmographic

    @segment
    def enterprise_prospects(self, a):
        return and_(ge(a.employees, 1000), or_(is_missing(a.plan), ne(a.plan, "enterprise")))

    @segment
    def manufacturing_nl(self, a):
        return and_(eq(a.industry, "manufacturing"), eq(a.country, "NL"))

    @segment
    def multi_site(self, a):
        return ge(a.sites, 10)

    @segment
    def large_revenue(self, a):
        return ge(a.annual_revenue, 50_000_000)

    @segment
    def small_business(self, a):
        return or_(lt(a.employees, 50), is_missing(a.employees))

    # ---------------------------------------------------------------- behaviour and value

    @segment
    def never_invoiced(self, a):
        return eq(a.invoices_total, 0)

    @segment
    def churn_risk(self, a):
        return and_(gt(a.invoices_total, 0), gt(self.days_since(a.last_invoice), 365))

    @segment
    def support_heavy(self, a):
        return or_(ge(a.critical_tickets_90d, 1), ge(a.open_tickets, 3))

    @segment
    def key_accounts(self, a):
        return self.top(a, 10, by="revenue_12m", percent=True)

    @segment
    def cross_sell(self, a):
        return and_(eq(a.product_lines, 1), gt(a.revenue_12m, 0), ge(a.account_age_years, 2))

    @segment
    def healthy_key_accounts(self, a):  # extends key_accounts
        return and_(self.member("key_accounts", a), not_(self.member("support_heavy", a)))


# ====================================================================== the tests

ORACLES: dict[str, type[Oracle]] = {
    "shop/shop.seg": ShopOracle,
    "b2b/accounts.seg": B2BOracle,
}


@functools.cache
def declared_segments(example: str) -> list[str]:
    compilation = compile_file(EXAMPLES / example)
    return list(compilation.require_ok().segments)


@functools.cache
def segl_members(example: str, as_of: dt.date) -> dict[str, set]:
    ev = evaluate(EXAMPLES / example, as_of=as_of)
    result = ev.connection.execute(f"SELECT * FROM {ev.table}")
    columns = [d[0] for d in result.description]
    rows = result.fetchall()
    key = columns.index(ev.key)
    return {
        name: {row[key] for row in rows if row[columns.index(name)] is True} for name in ev.segments
    }


@functools.cache
def oracle(example: str, as_of: dt.date) -> Oracle:
    return ORACLES[example](as_of)


@functools.cache
def oracle_members(example: str, as_of: dt.date) -> dict[str, set]:
    return oracle(example, as_of).members()


def explain(example: str, as_of: dt.date, keys: list) -> str:
    """The oracle's feature values for a few entities, to diagnose a disagreement."""
    found = oracle(example, as_of)
    by_key = {getattr(e, found.key): e for e in found.entities}
    lines = []
    for key in keys[:5]:
        features = {name: getattr(by_key[key], name, None) for name in found.feature_names()}
        lines.append(f"  {found.key}={key}: {features}")
    return "\n".join(lines)


# One xdist group per (example, as_of): with `--dist loadgroup`, xdist keeps each group on one
# worker where it can, so that fewer workers compute the same oracle (a pure speed hint).
CASES = [
    pytest.param(
        example,
        as_of,
        name,
        id=f"{Path(example).stem}-{as_of}-{name}",
        marks=pytest.mark.xdist_group(f"oracle-{Path(example).stem}-{as_of}"),
    )
    for example in ORACLES
    for as_of in AS_OFS
    for name in declared_segments(example)
]


@pytest.mark.parametrize("example", list(ORACLES))
def test_the_oracle_implements_exactly_the_declared_segments(example):
    declared = declared_segments(example)
    implemented = ORACLES[example].segment_names()
    assert sorted(set(declared) - set(implemented)) == [], "segments without an oracle"
    assert sorted(set(implemented) - set(declared)) == [], "oracle for unknown segments"


@pytest.mark.parametrize(("example", "as_of", "name"), CASES)
def test_segment_members_equal_the_oracle(example, as_of, name):
    if name not in ORACLES[example].segment_names():
        pytest.fail(f"{example}: segment {name!r} has no oracle; add one to this file")
    got = segl_members(example, as_of)[name]
    want = oracle_members(example, as_of)[name]
    missing, extra = sorted(want - got), sorted(got - want)
    assert not missing and not extra, (
        f"{example} {name} at {as_of}: segl has {len(got)} members, the oracle {len(want)}; "
        f"missing from segl {len(missing)} (e.g. {missing[:10]}), "
        f"extra in segl {len(extra)} (e.g. {extra[:10]})\n"
        f"the oracle's features:\n{explain(example, as_of, missing[:3] + extra[:3])}"
    )


@pytest.mark.parametrize("example", list(ORACLES))
def test_as_of_changes_the_members(example):
    """The second as_of is a real test of the time semantics: the members of several
    segments differ between the two dates. (Checked on segl's side only; the oracle agrees
    with segl at each date, so it differs too, and this test stays cheap under xdist.)"""
    now, earlier = segl_members(example, DEFAULT_AS_OF), segl_members(example, EARLIER_AS_OF)
    changed = [name for name in now if now[name] != earlier[name]]
    assert len(changed) >= 3, f"only {changed} differ between {DEFAULT_AS_OF} and {EARLIER_AS_OF}"


def test_the_data_has_events_after_as_of():
    """Rows after the default as_of exist, so the visibility rule is exercised."""
    last = max(row["ordered_at"] for row in read_table(ShopOracle.data / "orders.parquet"))
    assert last.date() > DEFAULT_AS_OF


def test_the_oracle_subtracts_calendar_months_clamped_to_the_month_end():
    assert minus_months(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert minus_months(dt.date(2024, 3, 31), 1) == dt.date(2024, 2, 29)
    assert minus_months(dt.date(2026, 6, 30), 12) == dt.date(2025, 6, 30)
    assert minus_months(dt.date(2026, 1, 15), 1) == dt.date(2025, 12, 15)
    assert in_last(dt.date(2026, 6, 30), 30, "days")(dt.date(2026, 5, 31)) is False
    assert in_last(dt.date(2026, 6, 30), 30, "days")(dt.date(2026, 6, 1)) is True


# ====================================================================== segmentations


def shop_lifecycle(found: Oracle, c) -> str:
    """examples/shop/shop.seg `lifecycle`: the first bucket whose condition is true."""
    if and_(eq(c.orders_total, 1), le(c.days_since_last_order, 30)) is True:
        return "new"
    if and_(found.member("loyal", c), not_(found.member("lapsed", c))) is True:
        return "loyal"
    if between(c.days_since_last_order, 90, 180) is True:
        return "at_risk"
    if found.member("lapsed", c):
        return "lapsed"
    if eq(c.orders_total, 1) is True:
        return "one_off"
    return "prospect"


@pytest.mark.parametrize("as_of", AS_OFS)
def test_segmentation_buckets_equal_the_oracle(as_of):
    evaluation = evaluate(EXAMPLES / "shop/shop.seg", as_of=as_of, segments=["lifecycle"])
    got = dict(evaluation.connection.execute(
        f"SELECT {evaluation.key}, lifecycle FROM {evaluation.table}").fetchall())
    found = oracle("shop/shop.seg", as_of)
    oracle_members("shop/shop.seg", as_of)  # computes every feature of every entity
    want = {getattr(c, found.key): shop_lifecycle(found, c) for c in found.entities}
    differ = sorted(k for k in want if got.get(k) != want[k])
    assert not differ, f"{len(differ)} customers differ, e.g. " + ", ".join(
        f"{k}: segl {got.get(k)} oracle {want[k]}" for k in differ[:5])
    assert set(got.values()) == {"new", "loyal", "at_risk", "lapsed", "one_off", "prospect"}

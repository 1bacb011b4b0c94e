"""Generate the bundled example data sets (a web shop and a B2B software vendor).

    python examples/generate.py [--seed 7] [--out-dir examples] [--customers 30000]
                                [--accounts 2000] [--only shop|b2b]

writes ``<out-dir>/shop/data/*.parquet`` and ``<out-dir>/b2b/data/*.parquet``.

The data is synthetic but shaped like real customer data: Dutch geography,
long-tailed spend, one-time and repeat buyers, customers who never ordered,
dormant and churned customers, November/December peaks and a summer dip,
missing values and ties. It covers 2023-01-01 up to and including 2026-06-30
(the ``as_of`` date the examples evaluate at) plus one extra month of events,
up to 2026-07-31, so that "events after as_of are ignored" can be shown.

Generation is deterministic: only ``random.Random`` instances seeded from the
seed are used (string seeds, which do not depend on PYTHONHASHSEED), nothing
iterates over a set or a hash-ordered container, and every table is written
sorted by its key (or by time), so the same seed always yields the same rows.

Importable as well::

    from examples.generate import generate_shop, generate_b2b
    generate_shop(Path("examples/shop/data"), seed=7, customers=30000)
    generate_b2b(Path("examples/b2b/data"), seed=7, accounts=2000)
"""

from __future__ import annotations

import argparse
import bisect
import math
import random
import time
from datetime import date, timedelta
from pathlib import Path

import polars as pl

DATA_START = date(2023, 1, 1)
AS_OF = date(2026, 6, 30)
DATA_END = date(2026, 7, 31)  # inclusive: one month of events after AS_OF
N_DAYS = (DATA_END - DATA_START).days + 1
AS_OF_DAY = (AS_OF - DATA_START).days
_EPOCH = date(1970, 1, 1)
_START_EPOCH_DAY = (DATA_START - _EPOCH).days
_START_EPOCH_S = _START_EPOCH_DAY * 86400
DAY_S = 86400
LAST_S = N_DAYS * DAY_S - 1  # last second of DATA_END, relative to DATA_START

PARQUET_COMPRESSION = "zstd"

# --------------------------------------------------------------------------- #
# Small helpers
# --------------------------------------------------------------------------- #


class _Choice:
    """Weighted choice with precomputed cumulative weights (one rng.random())."""

    __slots__ = ("cum", "total", "values")

    def __init__(self, pairs):
        self.values = [v for v, _ in pairs]
        acc = 0.0
        cum = []
        for _, w in pairs:
            acc += w
            cum.append(acc)
        self.cum = cum
        self.total = acc

    def __call__(self, rng: random.Random):
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.total)]


def _rng(seed: int, name: str) -> random.Random:
    return random.Random(f"segl-examples/{seed}/{name}")


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit = math.exp(-lam)
    k = 0
    p = rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _clamp(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


def _day_index(d: date) -> int:
    return (d - DATA_START).days


def _day_of(index: int) -> date:
    return DATA_START + timedelta(days=index)


def _black_friday(year: int) -> date:
    # the day after the fourth Thursday of November
    d = date(year, 11, 1)
    first_thursday = d + timedelta(days=(3 - d.weekday()) % 7)
    return first_thursday + timedelta(days=22)


def _nth_weekday(year: int, month: int, weekday: int, n: int = 1) -> date:
    d = date(year, month, 1)
    return d + timedelta(days=(weekday - d.weekday()) % 7 + 7 * (n - 1))


def _sample_day(rng: random.Random, lo: int, hi: int, weights, wmax: float) -> int:
    """A day index in [lo, hi] drawn proportional to ``weights`` (rejection)."""
    if hi <= lo:
        return lo
    while True:
        d = rng.randint(lo, hi)
        if rng.random() * wmax < weights[d]:
            return d


def _datetime_series(name: str, seconds: list[int]) -> pl.Series:
    """Seconds relative to DATA_START -> naive Datetime("us")."""
    us = [(s + _START_EPOCH_S) * 1_000_000 for s in seconds]
    return pl.Series(name, us, dtype=pl.Int64).cast(pl.Datetime("us"))


def _date_series(name: str, days: list[int | None]) -> pl.Series:
    """Day indexes relative to DATA_START (or None) -> Date."""
    ep = [None if d is None else d + _START_EPOCH_DAY for d in days]
    return pl.Series(name, ep, dtype=pl.Int32).cast(pl.Date)


def _write(df: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    df.write_parquet(tmp, compression=PARQUET_COMPRESSION, statistics=True)
    tmp.replace(path)


# --------------------------------------------------------------------------- #
# Geography
# --------------------------------------------------------------------------- #

# province -> (population in millions, [(city, weight, postcode_lo, postcode_hi, urbanity)])
# urbanity: 2 = big city, 1 = mid-sized town, 0 = small town / rural area
PROVINCES = [
    ("Zuid-Holland", 3.83, [
        ("Rotterdam", 6.6, 3011, 3089, 2), ("Den Haag", 5.6, 2491, 2599, 2),
        ("Leiden", 1.3, 2311, 2334, 1), ("Delft", 1.05, 2611, 2629, 1),
        ("Dordrecht", 1.2, 3311, 3329, 1), ("Zoetermeer", 1.25, 2711, 2729, 1),
        ("Gouda", 0.75, 2801, 2809, 0),
    ]),
    ("Noord-Holland", 2.95, [
        ("Amsterdam", 9.3, 1011, 1109, 2), ("Haarlem", 1.65, 2011, 2037, 1),
        ("Zaandam", 0.8, 1501, 1509, 1), ("Alkmaar", 1.1, 1811, 1829, 1),
        ("Hilversum", 0.9, 1211, 1223, 1), ("Den Helder", 0.55, 1781, 1789, 0),
    ]),
    ("Noord-Brabant", 2.65, [
        ("Eindhoven", 2.4, 5611, 5658, 2), ("Tilburg", 2.25, 5011, 5049, 1),
        ("Breda", 1.85, 4811, 4839, 1), ("'s-Hertogenbosch", 1.6, 5211, 5249, 1),
        ("Helmond", 0.95, 5701, 5709, 1), ("Oss", 0.95, 5341, 5349, 0),
    ]),
    ("Gelderland", 2.15, [
        ("Nijmegen", 1.8, 6511, 6546, 1), ("Arnhem", 1.65, 6811, 6846, 1),
        ("Apeldoorn", 1.65, 7311, 7339, 1), ("Ede", 1.2, 6711, 6718, 0),
        ("Doetinchem", 0.6, 7001, 7009, 0), ("Harderwijk", 0.5, 3841, 3849, 0),
    ]),
    ("Utrecht", 1.40, [
        ("Utrecht", 3.7, 3511, 3585, 2), ("Amersfoort", 1.6, 3811, 3829, 1),
        ("Nieuwegein", 0.65, 3431, 3439, 1), ("Zeist", 0.65, 3701, 3709, 0),
        ("Veenendaal", 0.67, 3901, 3909, 0),
    ]),
    ("Overijssel", 1.19, [
        ("Enschede", 1.6, 7511, 7548, 1), ("Zwolle", 1.3, 8011, 8043, 1),
        ("Deventer", 1.0, 7411, 7431, 1), ("Hengelo", 0.8, 7551, 7559, 0),
        ("Almelo", 0.73, 7601, 7609, 0),
    ]),
    ("Limburg", 1.12, [
        ("Maastricht", 1.2, 6211, 6229, 1), ("Venlo", 1.0, 5911, 5928, 1),
        ("Heerlen", 0.87, 6411, 6422, 0), ("Sittard", 0.9, 6131, 6137, 0),
        ("Roermond", 0.6, 6041, 6049, 0),
    ]),
    ("Friesland", 0.66, [
        ("Leeuwarden", 1.25, 8911, 8939, 1), ("Sneek", 0.35, 8601, 8608, 0),
        ("Heerenveen", 0.5, 8441, 8448, 0), ("Drachten", 0.45, 9201, 9206, 0),
    ]),
    ("Groningen", 0.59, [
        ("Groningen", 2.4, 9711, 9747, 2), ("Veendam", 0.28, 9641, 9649, 0),
        ("Stadskanaal", 0.32, 9501, 9503, 0), ("Hoogezand", 0.3, 9601, 9609, 0),
    ]),
    ("Drenthe", 0.50, [
        ("Assen", 0.7, 9401, 9409, 1), ("Emmen", 1.1, 7811, 7828, 0),
        ("Meppel", 0.35, 7941, 7944, 0), ("Hoogeveen", 0.55, 7901, 7909, 0),
    ]),
    ("Flevoland", 0.44, [
        ("Almere", 2.2, 1311, 1363, 1), ("Lelystad", 0.8, 8211, 8245, 1),
        ("Emmeloord", 0.3, 8301, 8305, 0), ("Dronten", 0.25, 8251, 8256, 0),
    ]),
    ("Zeeland", 0.39, [
        ("Middelburg", 0.5, 4331, 4339, 1), ("Vlissingen", 0.45, 4381, 4389, 0),
        ("Goes", 0.4, 4461, 4465, 0), ("Terneuzen", 0.55, 4531, 4539, 0),
    ]),
]

# Belgian customers: province is left null (the province column holds Dutch provinces)
BE_CITIES = [
    ("Antwerpen", 5.3, 2000, 2660, 2), ("Gent", 2.6, 9000, 9052, 2),
    ("Brussel", 3.0, 1000, 1210, 2), ("Leuven", 1.0, 3000, 3012, 1),
    ("Brugge", 1.2, 8000, 8380, 1), ("Hasselt", 0.8, 3500, 3512, 1),
]
DE_CITIES = [
    ("Düsseldorf", 1.0, 40210, 40629, 2), ("Köln", 1.0, 50667, 51149, 2),
    ("Aachen", 0.6, 52062, 52080, 1),
]

_PROVINCE_CHOICE = _Choice([((name, cities), pop) for name, pop, cities in PROVINCES])
_CITY_CHOICE = {
    name: _Choice([(c, c[1]) for c in cities]) for name, _, cities in PROVINCES
}
_BE_CITY_CHOICE = _Choice([(c, c[1]) for c in BE_CITIES])
_DE_CITY_CHOICE = _Choice([(c, c[1]) for c in DE_CITIES])
# PostNL never uses F I O Q U Y, nor the combinations SA SD SS
_PC_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"
_RURAL_PROVINCES = ("Drenthe", "Zeeland", "Friesland", "Groningen", "Limburg", "Overijssel")


def _dutch_postcode(rng: random.Random, lo: int, hi: int) -> str:
    while True:
        letters = rng.choice(_PC_LETTERS) + rng.choice(_PC_LETTERS)
        if letters not in ("SA", "SD", "SS"):
            return f"{rng.randint(lo, hi)} {letters}"


# --------------------------------------------------------------------------- #
# Shop: calendar
# --------------------------------------------------------------------------- #

_SHOP_MONTH_W = {1: 0.92, 2: 0.85, 3: 0.97, 4: 1.0, 5: 1.0, 6: 0.86,
                 7: 0.62, 8: 0.66, 9: 0.97, 10: 1.05, 11: 1.4, 12: 1.5}
_SHOP_WEEKDAY_W = (0.95, 0.93, 0.93, 0.97, 1.02, 1.05, 1.15)  # Mon..Sun


def _shop_day_weights() -> list[float]:
    bfs = {_black_friday(y) for y in range(DATA_START.year, DATA_END.year + 1)}
    weights = []
    for i in range(N_DAYS):
        d = _day_of(i)
        w = _SHOP_MONTH_W[d.month] * _SHOP_WEEKDAY_W[d.weekday()]
        bf = _black_friday(d.year)
        if d in bfs:
            w *= 2.8
        elif -4 <= (d - bf).days <= 3:  # Black Friday week through Cyber Monday
            w *= 1.8
        if d.month == 12 and d.day <= 5:  # Sinterklaas
            w *= 1.3
        elif d.month == 12 and 14 <= d.day <= 22:
            w *= 1.25
        elif d.month == 12 and d.day in (25, 26):
            w *= 0.55
        elif d.month == 1 and d.day == 1:
            w *= 0.4
        weights.append(w)
    return weights


_ONLINE_HOUR_W = _Choice(list(enumerate([
    0.35, 0.18, 0.08, 0.05, 0.05, 0.1, 0.3, 0.6, 0.85, 1.0, 1.1, 1.2,
    1.3, 1.2, 1.1, 1.1, 1.1, 1.2, 1.4, 1.75, 1.95, 1.85, 1.3, 0.7,
])))
_STORE_HOUR_W = _Choice(list(enumerate([
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0.9, 1.0,
    1.1, 1.2, 1.2, 1.2, 1.3, 1.2, 0.6, 0.3, 0, 0, 0, 0,
])))


def _sale_period(d: date) -> str | None:
    bf = _black_friday(d.year)
    if -4 <= (d - bf).days <= 3:
        return "black-friday"
    if d.month == 12 and d.day <= 24:
        return "christmas"
    if d.month in (7, 8) or (d.month == 6 and d.day >= 24):
        return "summer"
    if d.month == 3 or (d.month == 4 and d.day <= 15):
        return "spring"
    return None


_SALE_CODE = {"black-friday": ("BLACKFRIDAY25", 0.30, 0.75), "christmas": ("XMAS15", 0.10, 0.85),
              "summer": ("SUMMER20", 0.09, 0.80), "spring": ("SPRING10", 0.05, 0.90)}

# --------------------------------------------------------------------------- #
# Shop: customers
# --------------------------------------------------------------------------- #

_AGE_BANDS = _Choice([
    ((16, 17), 1.6), ((18, 24), 13.0), ((25, 34), 20.0), ((35, 44), 18.5),
    ((45, 54), 17.0), ((55, 64), 15.0), ((65, 74), 10.5), ((75, 90), 4.4),
])
_GENDER = _Choice([("female", 0.49), ("male", 0.445), ("nonbinary", 0.015), (None, 0.05)])
_RELIGION = _Choice([("christian", 0.44), ("none", 0.30), ("muslim", 0.15), ("hindu", 0.03),
                     ("jewish", 0.02), ("buddhist", 0.02), ("other", 0.04)])
_OS = {
    "ios": _Choice([("iOS 26", 0.35), ("iOS 18", 0.45), ("iOS 17", 0.15), ("iOS 16", 0.05)]),
    "android": _Choice([("Android 16", 0.2), ("Android 15", 0.38), ("Android 14", 0.27),
                        ("Android 13", 0.15)]),
    "desktop": _Choice([("Windows 11", 0.5), ("Windows 10", 0.22), ("macOS 15", 0.15),
                        ("macOS 14", 0.08), ("Linux", 0.05)]),
}
_INTERESTS = ("sustainability", "sports", "travel", "cooking", "tech", "fashion", "home")
_INTEREST_BY_LIFESTYLE = {
    "student": (1.2, 1.6, 1.2, 0.6, 1.5, 1.6, 0.3),
    "urban professional": (1.2, 1.2, 1.5, 1.0, 1.3, 1.3, 0.8),
    "family": (0.8, 1.0, 0.8, 1.3, 0.7, 0.9, 1.6),
    "retiree": (0.9, 0.5, 1.5, 1.4, 0.4, 0.5, 1.4),
    "rural": (0.9, 0.9, 0.7, 1.3, 0.8, 0.7, 1.5),
}
_INTEREST_CHOICE = {
    ls: _Choice(list(zip(_INTERESTS, ws, strict=True))) for ls, ws in _INTEREST_BY_LIFESTYLE.items()
}
_HOUSEHOLD = {
    "student": _Choice([(1, 0.45), (2, 0.2), (3, 0.13), (4, 0.17), (5, 0.05)]),
    "urban professional": _Choice([(1, 0.5), (2, 0.38), (3, 0.08), (4, 0.04)]),
    "family": _Choice([(3, 0.34), (4, 0.4), (5, 0.18), (6, 0.08)]),
    "retiree": _Choice([(1, 0.42), (2, 0.56), (3, 0.02)]),
    "rural": _Choice([(1, 0.15), (2, 0.35), (3, 0.18), (4, 0.2), (5, 0.08), (6, 0.04)]),
    "minor": _Choice([(2, 0.1), (3, 0.3), (4, 0.38), (5, 0.15), (6, 0.07)]),
}
_INCOME_MEDIAN = {"student": 9500, "urban professional": 61000, "family": 52000,
                  "retiree": 31000, "rural": 43000}
_EDUCATION = {
    "student": _Choice([("secondary", 0.25), ("vocational", 0.25), ("bachelor", 0.45),
                        ("master", 0.05)]),
    "urban professional": _Choice([("secondary", 0.04), ("vocational", 0.11), ("bachelor", 0.42),
                                   ("master", 0.36), ("doctorate", 0.07)]),
    "other": _Choice([("secondary", 0.26), ("vocational", 0.36), ("bachelor", 0.23),
                      ("master", 0.12), ("doctorate", 0.03)]),
}
_CATEGORIES = ("fashion", "home", "electronics", "beauty", "sports", "books")
_CATEGORY_BASE = _Choice(list(zip(_CATEGORIES, (0.30, 0.18, 0.14, 0.15, 0.12, 0.11), strict=True)))
_CATEGORY_FOR_INTEREST = {
    "sustainability": "beauty", "sports": "sports", "travel": "fashion", "cooking": "home",
    "tech": "electronics", "fashion": "fashion", "home": "home", None: None,
}
_CATEGORY_PRICE = {"fashion": 1.0, "home": 1.35, "electronics": 2.6, "beauty": 0.6,
                   "sports": 1.15, "books": 0.45}
_CATEGORY_RETURN = {"fashion": 0.13, "home": 0.05, "electronics": 0.06, "beauty": 0.03,
                    "sports": 0.07, "books": 0.02}
_PRICE_POINTS = (4.99, 7.99, 9.99, 12.5, 14.99, 19.99, 24.95, 29.99, 34.95, 39.99, 49.99,
                 59.99, 69.95, 79.99, 99.0, 129.0, 149.0, 199.0, 249.0, 299.0, 499.0, 799.0)


def _lifestyle(rng: random.Random, age: int, urbanity: int, rural_province: bool) -> str:
    big = urbanity == 2
    small = urbanity == 0
    rural_w = (0.35 if small else 0.08) + (0.1 if rural_province else 0.0)
    if age < 18:
        pairs = [("student", 0.88), ("family", 0.12)]
    elif age < 25:
        pairs = [("student", 0.62), ("urban professional", 0.22 if big else 0.1),
                 ("family", 0.05), ("rural", rural_w * 0.5)]
    elif age < 35:
        pairs = [("urban professional", 0.5 if big else 0.2), ("family", 0.3),
                 ("student", 0.07), ("rural", rural_w)]
    elif age < 55:
        pairs = [("family", 0.5), ("urban professional", 0.32 if big else 0.14),
                 ("rural", rural_w * 1.2)]
    elif age < 67:
        pairs = [("family", 0.25), ("urban professional", 0.16 if big else 0.07),
                 ("rural", rural_w * 1.2), ("retiree", 0.22)]
    else:
        pairs = [("retiree", 0.8), ("rural", rural_w * 0.6), ("family", 0.04)]
    return _Choice(pairs)(rng)


def _device(rng: random.Random, age: int, lifestyle: str) -> str:
    if age < 25:
        pairs = [("ios", 0.5), ("android", 0.38), ("desktop", 0.12)]
    elif age < 45:
        pairs = [("ios", 0.4 if lifestyle == "urban professional" else 0.33),
                 ("android", 0.33), ("desktop", 0.3)]
    elif age < 65:
        pairs = [("ios", 0.25), ("android", 0.3), ("desktop", 0.45)]
    else:
        pairs = [("ios", 0.15), ("android", 0.2), ("desktop", 0.65)]
    return _Choice(pairs)(rng)


def _gen_customers(seed: int, n: int):
    rng = _rng(seed, "shop/customers")
    day_w = _shop_day_weights()
    # signups grow over time (the shop is growing) and follow the season a little
    signup_w = [(0.8 + 0.4 * i / AS_OF_DAY) * (0.7 + 0.3 * day_w[i]) for i in range(AS_OF_DAY + 1)]
    signup_wmax = max(signup_w)

    cols = {k: [] for k in (
        "customer_id", "email", "birth_date", "gender", "income", "education", "household_size",
        "province", "city", "postcode", "country", "signup_date", "interest", "lifestyle",
        "sustainability_score", "device", "os_version", "app_user", "consent_marketing",
        "consent_profiling", "religion",
    )}
    profiles = []
    for cid in range(1, n + 1):
        r = rng.random()
        country = "BE" if r < 0.05 else "NL"
        lo_age, hi_age = _AGE_BANDS(rng)
        age = rng.randint(lo_age, hi_age)
        birth = AS_OF - timedelta(days=int((age + rng.uniform(0.01, 0.99)) * 365.25))

        if country == "NL":
            province, _cities = _PROVINCE_CHOICE(rng)
            city, _, pc_lo, pc_hi, urbanity = _CITY_CHOICE[province](rng)
            postcode = _dutch_postcode(rng, pc_lo, pc_hi)
            rural_province = province in _RURAL_PROVINCES
        else:
            province = None
            city, _, pc_lo, pc_hi, urbanity = _BE_CITY_CHOICE(rng)
            postcode = str(rng.randint(pc_lo, pc_hi))
            rural_province = False

        lifestyle = _lifestyle(rng, age, urbanity, rural_province)
        household = _HOUSEHOLD["minor" if age < 18 else lifestyle](rng)
        if age < 18:
            income_true = rng.uniform(800, 4500)
        else:
            income_true = _INCOME_MEDIAN[lifestyle] * rng.lognormvariate(0.0, 0.45)
            if lifestyle == "urban professional" and rng.random() < 0.08:
                income_true *= rng.uniform(2.0, 5.0)  # a few high earners
        income = float(round(income_true, -2)) if rng.random() > 0.15 else None

        if age < 18:
            education = "secondary"
        elif lifestyle in _EDUCATION:
            education = _EDUCATION[lifestyle](rng)
        else:
            education = _EDUCATION["other"](rng)
        if rng.random() < 0.09:
            education = None

        interest = _INTEREST_CHOICE[lifestyle](rng) if rng.random() > 0.08 else None
        if rng.random() < 0.40:
            sustainability = None
        else:
            base = 2.9 + (1.1 if interest == "sustainability" else 0.0)
            base += 0.3 if lifestyle in ("student", "urban professional") else 0.0
            sustainability = int(_clamp(round(rng.gauss(base, 1.0)), 1, 5))

        device = _device(rng, age, lifestyle)
        os_version = _OS[device](rng)
        app_user = rng.random() < (0.58 if device != "desktop" else 0.06)
        consent_marketing = rng.random() < 0.58
        consent_profiling = rng.random() < (0.72 if consent_marketing else 0.18)
        religion = _RELIGION(rng) if rng.random() < 0.15 else None

        # signup: not before the 16th birthday
        lo = 0
        if age < 19:
            sixteenth = date(birth.year + 16, birth.month, min(birth.day, 28))
            lo = max(0, _day_index(sixteenth))
        signup = _sample_day(rng, lo, AS_OF_DAY, signup_w, signup_wmax)

        cols["customer_id"].append(cid)
        cols["email"].append(f"c{cid:05d}@example.{'be' if country == 'BE' else 'nl'}")
        cols["birth_date"].append(None if rng.random() < 0.03 else (birth - DATA_START).days)
        cols["gender"].append(_GENDER(rng))
        cols["income"].append(income)
        cols["education"].append(education)
        cols["household_size"].append(household if rng.random() > 0.02 else None)
        cols["province"].append(province)
        cols["city"].append(city)
        cols["postcode"].append(postcode)
        cols["country"].append(country)
        cols["signup_date"].append(signup)
        cols["interest"].append(interest)
        cols["lifestyle"].append(lifestyle)
        cols["sustainability_score"].append(sustainability)
        cols["device"].append(device)
        cols["os_version"].append(os_version)
        cols["app_user"].append(app_user)
        cols["consent_marketing"].append(consent_marketing)
        cols["consent_profiling"].append(consent_profiling)
        cols["religion"].append(religion)

        profiles.append({
            "id": cid, "age": age, "lifestyle": lifestyle, "income": income_true,
            "urbanity": urbanity, "country": country, "device": device, "app_user": app_user,
            "interest": interest, "signup": signup, "consent_marketing": consent_marketing,
        })

    df = pl.DataFrame({
        "customer_id": pl.Series(cols["customer_id"], dtype=pl.Int64),
        "email": pl.Series(cols["email"], dtype=pl.String),
        "birth_date": _date_series("birth_date", cols["birth_date"]),
        "gender": pl.Series(cols["gender"], dtype=pl.String),
        "income": pl.Series(cols["income"], dtype=pl.Float64),
        "education": pl.Series(cols["education"], dtype=pl.String),
        "household_size": pl.Series(cols["household_size"], dtype=pl.Int64),
        "province": pl.Series(cols["province"], dtype=pl.String),
        "city": pl.Series(cols["city"], dtype=pl.String),
        "postcode": pl.Series(cols["postcode"], dtype=pl.String),
        "country": pl.Series(cols["country"], dtype=pl.String),
        "signup_date": _date_series("signup_date", cols["signup_date"]),
        "interest": pl.Series(cols["interest"], dtype=pl.String),
        "lifestyle": pl.Series(cols["lifestyle"], dtype=pl.String),
        "sustainability_score": pl.Series(cols["sustainability_score"], dtype=pl.Int64),
        "device": pl.Series(cols["device"], dtype=pl.String),
        "os_version": pl.Series(cols["os_version"], dtype=pl.String),
        "app_user": pl.Series(cols["app_user"], dtype=pl.Boolean),
        "consent_marketing": pl.Series(cols["consent_marketing"], dtype=pl.Boolean),
        "consent_profiling": pl.Series(cols["consent_profiling"], dtype=pl.Boolean),
        "religion": pl.Series(cols["religion"], dtype=pl.String),
    })
    return df, profiles


# --------------------------------------------------------------------------- #
# Shop: orders
# --------------------------------------------------------------------------- #


def _order_amount(rng: random.Random, p: dict, category: str, items: int) -> float:
    base = p["basket"] * _CATEGORY_PRICE[category] * items ** 0.7 * rng.lognormvariate(0.0, 0.35)
    if rng.random() < 0.14:  # catalogue price points: these produce ties
        i = bisect.bisect_left(_PRICE_POINTS, base)
        return _PRICE_POINTS[min(i, len(_PRICE_POINTS) - 1)]
    return max(1.5, round(base, 2))


def _make_order(rng, p, second, code=None, factor=1.0, channel=None):
    """One order tuple: (second, customer_id, amount, channel, category, items, status, code)."""
    if channel is None:
        channel = p["channel"](rng)
    if channel == "store":
        d, _ = divmod(second, DAY_S)
        second = d * DAY_S + _STORE_HOUR_W(rng) * 3600 + rng.randrange(3600)
    pref = p["pref_category"]
    category = pref if pref is not None and rng.random() < 0.45 else _CATEGORY_BASE(rng)
    items = 1
    while items < 12 and rng.random() < (0.5 if category == "books" else 0.38):
        items += 1
    amount = _order_amount(rng, p, category, items)
    if code is not None:
        amount = max(1.0, round(amount * factor, 2))
    status = "returned" if rng.random() < _CATEGORY_RETURN[category] else "paid"
    return (second, p["id"], amount, channel, category, items, status, code)


def _gen_orders(seed: int, profiles: list[dict]):
    rng = _rng(seed, "shop/orders")
    day_w = _shop_day_weights()
    wmax = max(day_w)
    orders = []
    for p in profiles:
        # spending profile (kept on the profile for the email/web generators)
        income_factor = (max(p["income"], 3000.0) / 45000.0) ** 0.35
        p["basket"] = 34.0 * income_factor * rng.lognormvariate(0.0, 0.5)
        if p["app_user"]:
            ch = [("app", 0.52), ("web", 0.36), ("store", 0.12)]
        else:
            ch = [("web", 0.78), ("store", 0.22 if p["age"] < 60 else 0.34)]
        if p["country"] == "BE":
            ch = [(c, w * (0.1 if c == "store" else 1.0)) for c, w in ch]
        p["channel"] = _Choice(ch)
        p["pref_category"] = _CATEGORY_FOR_INTEREST[p["interest"]]
        p["tracked"] = rng.random() < 0.62  # accepted analytics cookies

        signup = p["signup"]
        recent = AS_OF_DAY - signup < 60
        if rng.random() < (0.33 if recent else 0.13):
            continue  # never ordered
        # first order: often on the signup day, otherwise weeks/months later
        if rng.random() < 0.5:
            first = signup + (0 if rng.random() < 0.7 else 1)
        else:
            first = signup + int(rng.expovariate(1 / 50.0))
        if first >= N_DAYS:
            continue
        first = _sample_day(rng, first, min(first + 6, N_DAYS - 1), day_w, wmax)
        sec = first * DAY_S + _ONLINE_HOUR_W(rng) * 3600 + rng.randrange(3600)
        welcome = rng.random() < 0.15
        orders.append(_make_order(rng, p, sec, "WELCOME10" if welcome else None, 0.9))

        if rng.random() < 0.40:
            continue  # one-time buyer
        # repeat buyer: an order rate and an active lifetime (churn or still active)
        lifestyle_rate = {"family": 1.25, "urban professional": 1.15, "student": 0.8,
                          "retiree": 0.9, "rural": 0.95}[p["lifestyle"]]
        rate = min(45.0, 3.6 * lifestyle_rate * rng.lognormvariate(0.0, 0.85))  # per year
        # half of them churn at some point, the rest stays active until the end of the data
        end = first + 14 + int(rng.expovariate(1 / 330.0)) if rng.random() < 0.5 else N_DAYS - 1
        end = min(end, N_DAYS - 1)
        span_years = max(end - first, 1) / 365.25
        n_more = max(1, _poisson(rng, rate * span_years))
        lo = first + 1
        hi = max(end, lo)
        if lo >= N_DAYS:
            continue
        hi = min(hi, N_DAYS - 1)
        for _ in range(n_more):
            d = _sample_day(rng, lo, hi, day_w, wmax)
            sec = d * DAY_S + _ONLINE_HOUR_W(rng) * 3600 + rng.randrange(3600)
            period = _sale_period(_day_of(d))
            code = None
            factor = 1.0
            if period is not None:
                c, prob, f = _SALE_CODE[period]
                if rng.random() < prob:
                    code, factor = c, f
            orders.append(_make_order(rng, p, sec, code, factor))
    return orders


# --------------------------------------------------------------------------- #
# Shop: email events (and the orders they convert into)
# --------------------------------------------------------------------------- #

EMAIL_START = date(2024, 1, 1)


def _campaigns() -> list[tuple[str, int, str | None, float]]:
    """(name, send second relative to DATA_START, discount code, click multiplier)."""
    out = []
    for year in range(EMAIL_START.year, DATA_END.year + 1):
        for month in range(1, 13):
            d = _nth_weekday(year, month, 3)  # first Thursday, 10:00
            if EMAIL_START <= d <= DATA_END:
                out.append((f"newsletter-{year}-{month:02d}", _day_index(d) * DAY_S + 10 * 3600,
                            "NEWSLETTER5", 1.0))
        specials = [
            (f"{year}-03-spring", _nth_weekday(year, 3, 1, 2), 9, "SPRING10", 1.2),
            (f"{year}-07-summer-sale", _nth_weekday(year, 7, 0, 1), 8, "SUMMER20", 1.4),
            (f"{year}-11-black-friday", _black_friday(year), 7, "BLACKFRIDAY25", 1.9),
            (f"{year}-12-christmas", _nth_weekday(year, 12, 1, 2), 9, "XMAS15", 1.5),
        ]
        for name, d, hour, code, mult in specials:
            if EMAIL_START <= d <= DATA_END:
                out.append((name, _day_index(d) * DAY_S + hour * 3600, code, mult))
    out.sort(key=lambda c: c[1])
    return out


# What one email costs (delivery plus its share of design and production): the cost table
# behind the example's email ROI KPI, set so that ROI lands near the often-quoted 36 to 1.
_COST_PER_SEND = {"NEWSLETTER5": 0.04, "SPRING10": 0.11, "SUMMER20": 0.12,
                  "BLACKFRIDAY25": 0.18, "XMAS15": 0.14}


def _campaigns_frame() -> pl.DataFrame:
    """One row per email campaign: a lookup for email events (no randomness involved)."""
    rows = _campaigns()
    return pl.DataFrame({
        "campaign": pl.Series([c[0] for c in rows], dtype=pl.String),
        "kind": pl.Series(["newsletter" if c[0].startswith("newsletter") else "seasonal"
                           for c in rows], dtype=pl.String),
        "sent_on": _date_series("sent_on", [c[1] // DAY_S for c in rows]),
        "discount_code": pl.Series([c[2] for c in rows], dtype=pl.String),
        "cost_per_send": pl.Series([_COST_PER_SEND[c[2]] for c in rows], dtype=pl.Float64),
    })


def _gen_email_events(seed: int, profiles: list[dict], buyers: set[int]):
    rng = _rng(seed, "shop/email")
    subscribers = []
    for p in profiles:
        if not p["consent_marketing"]:
            continue
        r = rng.random()
        if r < 0.25:
            p_open = rng.uniform(0.35, 0.7)
        elif r < 0.65:
            p_open = rng.uniform(0.08, 0.3)
        else:
            p_open = rng.uniform(0.0, 0.08)
        if p["id"] in buyers:
            p_open = min(0.95, p_open * 1.15)
        subscribers.append({"p": p, "open": p_open, "click": rng.uniform(0.05, 0.21),
                            "misses": 0, "active": True})

    events = []  # (second, customer_id, campaign, event_type)
    conversions = []  # (profile, second, code)
    for name, send_s, code, mult in _campaigns():
        send_day = send_s // DAY_S
        for s in subscribers:
            p = s["p"]
            if not s["active"] or p["signup"] >= send_day:
                continue
            cid = p["id"]
            t = send_s + rng.randrange(1800)  # the send is spread over half an hour
            events.append((t, cid, name, "sent"))
            if rng.random() < s["open"]:
                s["misses"] = 0
                t_open = t + 60 + int(rng.expovariate(1 / 14000.0))
                if rng.random() < 0.15:
                    t_open += rng.randrange(5 * DAY_S)
                if t_open > LAST_S:
                    continue
                events.append((t_open, cid, name, "open"))
                if rng.random() < min(0.9, s["click"] * mult):
                    t_click = t_open + 5 + int(rng.expovariate(1 / 90.0))
                    if t_click > LAST_S:
                        continue
                    events.append((t_click, cid, name, "click"))
                    if rng.random() < 0.22:
                        t_conv = t_click + 120 + int(rng.expovariate(1 / 1800.0))
                        if t_conv <= LAST_S:
                            events.append((t_conv, cid, name, "conversion"))
                            conversions.append((p, t_conv, code))
                if rng.random() < 0.0025:
                    t_unsub = t_open + 30 + rng.randrange(600)
                    if t_unsub <= LAST_S:
                        events.append((t_unsub, cid, name, "unsubscribe"))
                        s["active"] = False
            else:
                s["misses"] += 1
                # sunset policy: stop mailing after 6 sends in a row without an open
                if s["misses"] >= 6:
                    s["active"] = False
                if rng.random() < 0.003:
                    t_unsub = t + 3600 + rng.randrange(3 * DAY_S)
                    if t_unsub <= LAST_S:
                        events.append((t_unsub, cid, name, "unsubscribe"))
                        s["active"] = False
    return events, conversions


# --------------------------------------------------------------------------- #
# Shop: web events
# --------------------------------------------------------------------------- #

_OTHER_DEVICE = {"ios": ("android", "desktop"), "android": ("ios", "desktop"),
                 "desktop": ("ios", "android")}


def _gen_web_events(seed: int, profiles: list[dict], orders: list[tuple]):
    rng = _rng(seed, "shop/web")
    day_w = _shop_day_weights()
    wmax = max(day_w)
    events = []  # (second, customer_id, page, device, session_id)
    by_id = {p["id"]: p for p in profiles}

    def session_device(p, channel):
        dev = p["device"]
        if channel == "app":
            return dev if dev != "desktop" else ("ios" if rng.random() < 0.5 else "android")
        return dev if rng.random() < 0.8 else rng.choice(_OTHER_DEVICE[dev])

    # sessions that end in a purchase
    for second, cid, _amount, channel, category, _items, _status, _code in orders:
        p = by_id[cid]
        if channel == "store" or not p["tracked"]:
            continue
        sid = f"{rng.getrandbits(64):016x}"
        dev = session_device(p, channel)
        pages = []
        r = rng.random()
        if r < 0.35:
            pages.append("/")
        elif r < 0.45 or (r < 0.6 and _sale_period(_day_of(second // DAY_S))):
            pages.append("/sale")
        pages.append(f"/product/{category}")
        while rng.random() < 0.3:
            pages.append(f"/product/{rng.choice(_CATEGORIES) if rng.random() < 0.4 else category}")
        pages.extend(("/cart", "/checkout"))
        t = second - 15 - rng.randrange(45)
        floor = p["signup"] * DAY_S  # nothing is tracked before the customer signed up
        for page in reversed(pages):
            if t < floor:
                break
            events.append((t, cid, page, dev, sid))
            t -= 10 + int(rng.expovariate(1 / 70.0))

    # browsing sessions without a purchase (including abandoned carts)
    for p in profiles:
        if not p["tracked"]:
            continue
        lo = p["signup"]
        span = (N_DAYS - lo) / 365.25
        n_sessions = _poisson(rng, span * (1.3 if p["age"] < 40 else 0.8))
        for _ in range(n_sessions):
            d = _sample_day(rng, lo, N_DAYS - 1, day_w, wmax)
            t = d * DAY_S + _ONLINE_HOUR_W(rng) * 3600 + rng.randrange(3600)
            sid = f"{rng.getrandbits(64):016x}"
            dev = session_device(p, "app" if p["app_user"] and rng.random() < 0.5 else "web")
            period = _sale_period(_day_of(d))
            pages = ["/sale" if period and rng.random() < 0.5 else "/"]
            if rng.random() < 0.12:
                pages.append("/pricing")
            n_products = _poisson(rng, 1.2)
            pref = p["pref_category"]
            for _ in range(n_products):
                cat = pref if pref and rng.random() < 0.5 else _CATEGORY_BASE(rng)
                pages.append(f"/product/{cat}")
            if n_products and rng.random() < 0.22:
                pages.append("/cart")
                if rng.random() < 0.25:
                    pages.append("/checkout")  # abandoned at checkout
            for page in pages:
                if t > LAST_S:
                    break
                events.append((t, p["id"], page, dev, sid))
                t += 8 + int(rng.expovariate(1 / 60.0))
    return events


# --------------------------------------------------------------------------- #
# Shop: survey answers
# --------------------------------------------------------------------------- #


def _gen_survey(seed: int, profiles: list[dict], orders: list[tuple]):
    rng = _rng(seed, "shop/survey")
    mood = {p["id"]: rng.gauss(0.0, 1.0) for p in profiles}
    rows = []  # (second, customer_id, nps, csat)
    for second, cid, _amount, _channel, _category, _items, status, _code in orders:
        if rng.random() >= 0.062:
            continue
        t = second + DAY_S + int(rng.expovariate(1 / (2.5 * DAY_S)))
        if t > LAST_S:
            continue
        returned = status == "returned"
        m = mood[cid]
        nps = int(_clamp(round(rng.gauss(7.7 + 1.6 * m - (2.5 if returned else 0.0), 1.3)), 0, 10))
        csat = int(_clamp(round(rng.gauss(1.2 + nps * 0.34, 0.6)), 1, 5))
        rows.append((t, cid, nps, csat if rng.random() > 0.12 else None))
    return rows


# --------------------------------------------------------------------------- #
# Shop: entry point
# --------------------------------------------------------------------------- #


def generate_shop(out_dir: Path, seed: int = 7, customers: int = 30000) -> None:
    """Write the shop data set (customers, orders, web/email events, surveys) to out_dir."""
    out_dir = Path(out_dir)
    customers_df, profiles = _gen_customers(seed, customers)
    orders = _gen_orders(seed, profiles)
    buyers = {o[1] for o in orders}
    email_events, conversions = _gen_email_events(seed, profiles, buyers)

    rng = _rng(seed, "shop/conversions")
    for p, t, code in conversions:
        if "channel" not in p:
            continue
        channel = "app" if p["app_user"] and rng.random() < 0.6 else "web"
        factor = {"BLACKFRIDAY25": 0.75, "XMAS15": 0.85, "SUMMER20": 0.8, "SPRING10": 0.9,
                  "NEWSLETTER5": 0.95}[code]
        orders.append(_make_order(rng, p, t, code if rng.random() < 0.7 else None, factor,
                                  channel=channel))

    # order_id follows time; ties broken by customer and generation order
    order_rows = sorted(((o[0], o[1], i), o) for i, o in enumerate(orders))
    orders = [o for _, o in order_rows]
    web_events = _gen_web_events(seed, profiles, orders)
    survey = _gen_survey(seed, profiles, orders)

    orders_df = pl.DataFrame({
        "order_id": pl.Series(range(1, len(orders) + 1), dtype=pl.Int64),
        "customer_id": pl.Series([o[1] for o in orders], dtype=pl.Int64),
        "ordered_at": _datetime_series("ordered_at", [o[0] for o in orders]),
        "amount": pl.Series([o[2] for o in orders], dtype=pl.Float64),
        "channel": pl.Series([o[3] for o in orders], dtype=pl.String),
        "category": pl.Series([o[4] for o in orders], dtype=pl.String),
        "items": pl.Series([o[5] for o in orders], dtype=pl.Int64),
        "status": pl.Series([o[6] for o in orders], dtype=pl.String),
        "discount_code": pl.Series([o[7] for o in orders], dtype=pl.String),
    })

    web_events.sort(key=lambda e: (e[0], e[1], e[4], e[2]))
    web_df = pl.DataFrame({
        "event_id": pl.Series(range(1, len(web_events) + 1), dtype=pl.Int64),
        "customer_id": pl.Series([e[1] for e in web_events], dtype=pl.Int64),
        "occurred_at": _datetime_series("occurred_at", [e[0] for e in web_events]),
        "page": pl.Series([e[2] for e in web_events], dtype=pl.String),
        "device": pl.Series([e[3] for e in web_events], dtype=pl.String),
        "session_id": pl.Series([e[4] for e in web_events], dtype=pl.String),
    })

    event_rank = {"sent": 0, "open": 1, "click": 2, "conversion": 3, "unsubscribe": 4}
    email_events.sort(key=lambda e: (e[0], e[1], e[2], event_rank[e[3]]))
    email_df = pl.DataFrame({
        "customer_id": pl.Series([e[1] for e in email_events], dtype=pl.Int64),
        "campaign": pl.Series([e[2] for e in email_events], dtype=pl.String),
        "event_type": pl.Series([e[3] for e in email_events], dtype=pl.String),
        "occurred_at": _datetime_series("occurred_at", [e[0] for e in email_events]),
    })

    survey.sort(key=lambda r: (r[0], r[1]))
    survey_df = pl.DataFrame({
        "customer_id": pl.Series([r[1] for r in survey], dtype=pl.Int64),
        "answered_at": _datetime_series("answered_at", [r[0] for r in survey]),
        "nps": pl.Series([r[2] for r in survey], dtype=pl.Int64),
        "csat": pl.Series([r[3] for r in survey], dtype=pl.Int64),
    })

    _write(customers_df, out_dir / "customers.parquet")
    _write(_campaigns_frame(), out_dir / "campaigns.parquet")
    _write(orders_df, out_dir / "orders.parquet")
    _write(web_df, out_dir / "web_events.parquet")
    _write(email_df, out_dir / "email_events.parquet")
    _write(survey_df, out_dir / "survey_answers.parquet")


# --------------------------------------------------------------------------- #
# B2B
# --------------------------------------------------------------------------- #

_INDUSTRY = _Choice([("manufacturing", 0.18), ("retail", 0.16), ("finance", 0.10),
                     ("healthcare", 0.12), ("tech", 0.21), ("logistics", 0.13), ("public", 0.10)])
_REVENUE_PER_EMPLOYEE = {"manufacturing": 230e3, "retail": 180e3, "finance": 390e3,
                         "healthcare": 105e3, "tech": 200e3, "logistics": 170e3, "public": 120e3}
_SURNAMES = (
    "De Jong", "Jansen", "De Vries", "Van den Berg", "Van Dijk", "Bakker", "Janssen", "Visser",
    "Smit", "Meijer", "De Boer", "Mulder", "De Groot", "Bos", "Vos", "Peters", "Hendriks",
    "Van Leeuwen", "Dekker", "Brouwer", "De Wit", "Dijkstra", "Smits", "De Graaf",
    "Van der Meer", "Van der Linden", "Kok", "Jacobs", "De Haan", "Vermeulen", "Van den Heuvel",
    "Van der Veen", "Van den Broek", "De Bruijn", "Van der Heijden", "Schouten", "Van Beek",
    "Willems", "Van Vliet", "Van de Ven", "Hoekstra", "Maas", "Verhoeven", "Koster", "Van Dam",
    "Van der Wal", "Prins", "Blom", "Huisman", "Peeters", "Kuipers", "Van Wijk", "Post",
    "Kuiper", "Veenstra", "Kramer", "Van den Brink", "Scholten", "Postma", "Martens", "Vink",
    "De Ruiter", "Timmermans", "Groen", "Gerritsen", "Jonker", "Van Loon", "Van der Velde",
    "Willemsen", "Smeets", "De Lange", "De Vos", "Bosch", "Van Dongen", "Schipper", "De Koning",
    "Van der Laan", "Driessen", "Van Doorn", "Hermans", "Evers", "Van den Bosch",
    "Van der Meulen", "Hofman", "Bosman", "Wolters", "Sanders", "Van der Horst", "Mol",
    "Molenaar", "Van de Pol", "De Leeuw", "Verbeek",
)
_REGIONS = (
    "Rijnmond", "Amstelland", "Veluwe", "Twente", "Kempen", "Drechtsteden", "Gooi",
    "Achterhoek", "Salland", "Westland", "Zaanstreek", "Haaglanden", "Kennemerland", "Betuwe",
    "Peel", "Delfland", "Rivierenland", "Midden-Holland", "West-Friesland", "Zuid-Limburg",
    "Waterland", "Noord-Veluwe", "Hollands Kroon", "Liemers", "Vechtdal", "Brabantse Wal",
    "Groene Hart", "Eemland", "Noordoostpolder", "Walcheren",
)
_STEMS = ("Noord", "Zuid", "Oost", "West", "Rijn", "Maas", "Delta", "Polder", "Dijk", "Molen",
          "Amstel", "IJssel", "Waal", "Lek", "Vecht", "Dommel", "Eem", "Zaan", "Linge", "Schelde")
_TAILS = ("land", "stad", "poort", "haven", "waard", "dijk", "veld", "berg", "mond", "kade")
_WORDS = {
    "manufacturing": ("Metaal", "Techniek", "Machinebouw", "Kunststoffen", "Productie", "Staal",
                      "Installatietechniek", "Precisie"),
    "retail": ("Mode", "Wonen", "Retail", "Winkels", "Handel", "Foodmarkt", "Tuincentra"),
    "finance": ("Finance", "Vermogensbeheer", "Verzekeringen", "Accountants", "Hypotheken",
                "Capital", "Belastingadvies"),
    "healthcare": ("Zorg", "Zorggroep", "Thuiszorg", "Fysiotherapie", "Kliniek", "Apotheken",
                   "Medical"),
    "tech": ("Software", "Data", "Digital", "IT", "Systems", "Cloud", "Labs", "Solutions"),
    "logistics": ("Logistiek", "Transport", "Distributie", "Cargo", "Expeditie",
                  "Koeltransport", "Warehousing"),
}
_PUBLIC_PATTERNS = ("Gemeente {city}", "Waterschap {region}", "Veiligheidsregio {region}",
                    "Omgevingsdienst {region}", "GGD {region}", "Hogeschool {region}",
                    "Regionaal Archief {region}", "Belastingsamenwerking {region}")
_SUFFIX = _Choice([(" B.V.", 0.6), ("", 0.2), (" N.V.", 0.03), (" Groep", 0.07),
                   (" Holding B.V.", 0.05), (" & Zn.", 0.05)])


def _company_name(rng: random.Random, industry: str, city: str) -> str:
    if industry == "public":
        pattern = rng.choice(_PUBLIC_PATTERNS)
        return pattern.format(city=city, region=rng.choice(_REGIONS))
    word = rng.choice(_WORDS[industry])
    r = rng.random()
    suffix = _SUFFIX(rng)
    if r < 0.35:
        name = f"{rng.choice(_SURNAMES)} {word}"
    elif r < 0.6:
        name = f"{rng.choice(_STEMS)}{rng.choice(_TAILS)} {word}"
        suffix = suffix.replace(" & Zn.", " B.V.")
    elif r < 0.8:
        name = f"{word} {rng.choice(_REGIONS)}"
        suffix = suffix.replace(" & Zn.", "")
    else:
        a, b = rng.sample(_SURNAMES, 2)
        name = f"{a} & {b}"
        suffix = suffix.replace(" & Zn.", " B.V.")
    return name + suffix


def _business_second(rng: random.Random, day: int) -> int:
    return day * DAY_S + rng.randint(8, 17) * 3600 + rng.randrange(3600)


def _b2b_day_weights() -> list[float]:
    month_w = {1: 0.9, 2: 1.0, 3: 1.1, 4: 1.0, 5: 1.0, 6: 1.05, 7: 0.6, 8: 0.55,
               9: 1.05, 10: 1.05, 11: 1.1, 12: 1.5}
    out = []
    for i in range(N_DAYS):
        d = _day_of(i)
        out.append(0.05 if d.weekday() >= 5 else month_w[d.month])
    return out


def generate_b2b(out_dir: Path, seed: int = 7, accounts: int = 2000) -> None:
    """Write the B2B data set (accounts, invoices, support tickets) to out_dir."""
    out_dir = Path(out_dir)
    rng = _rng(seed, "b2b/accounts")
    day_w = _b2b_day_weights()
    wmax = max(day_w)
    created_w = [0.7 + 0.6 * i / AS_OF_DAY for i in range(AS_OF_DAY + 1)]

    acc = {k: [] for k in ("account_id", "company_name", "industry", "employees",
                           "annual_revenue", "sites", "province", "city", "country",
                           "created_at", "plan")}
    profiles = []
    used_names: set[str] = set()
    for aid in range(1, accounts + 1):
        industry = _INDUSTRY(rng)
        r = rng.random()
        if r < 0.92:
            country = "NL"
            province, _ = _PROVINCE_CHOICE(rng)
            city = _CITY_CHOICE[province](rng)[0]
        elif r < 0.98:
            country, province, city = "BE", None, _BE_CITY_CHOICE(rng)[0]
        else:
            country, province, city = "DE", None, _DE_CITY_CHOICE(rng)[0]

        emp = rng.lognormvariate(math.log(30.0), 1.55) * (3.0 if industry == "public" else 1.0)
        if rng.random() < 0.015:
            emp *= rng.uniform(5.0, 30.0)  # a handful of very large organisations
        emp = int(_clamp(round(emp), 1, 20000))
        revenue = emp * _REVENUE_PER_EMPLOYEE[industry] * rng.lognormvariate(0.0, 0.35)
        sites_boost = 2.0 if industry in ("retail", "logistics", "healthcare") else 1.0
        sites = int(_clamp(1 + _poisson(rng, sites_boost * math.sqrt(emp) / 9.0), 1, 40))
        if emp < 20:
            plan = _Choice([("starter", 0.74), ("growth", 0.23), ("enterprise", 0.03)])(rng)
        elif emp < 250:
            plan = _Choice([("starter", 0.25), ("growth", 0.6), ("enterprise", 0.15)])(rng)
        else:
            plan = _Choice([("starter", 0.03), ("growth", 0.35), ("enterprise", 0.62)])(rng)
        created = _sample_day(rng, 0, AS_OF_DAY, created_w, 1.3)

        name = _company_name(rng, industry, city)
        tries = 0
        while name in used_names:
            tries += 1
            name = _company_name(rng, industry, city)
            if tries > 20:
                name = f"{name} ({city})"
        used_names.add(name)

        acc["account_id"].append(aid)
        acc["company_name"].append(name)
        acc["industry"].append(industry)
        acc["employees"].append(emp if rng.random() > 0.05 else None)
        acc["annual_revenue"].append(float(round(revenue, -3)) if rng.random() > 0.10 else None)
        acc["sites"].append(sites)
        acc["province"].append(province)
        acc["city"].append(city)
        acc["country"].append(country)
        acc["created_at"].append(created)
        acc["plan"].append(plan)
        profiles.append({"id": aid, "employees": emp, "plan": plan, "created": created,
                         "sites": sites, "industry": industry})

    # invoices
    rng = _rng(seed, "b2b/invoices")
    invoices = []  # (second, account_id, amount, product_line)
    price_per_seat = {"starter": 9.0, "growth": 16.0, "enterprise": 27.0}
    for p in profiles:
        start = p["created"] + rng.randint(0, 30)
        p["end"] = N_DAYS - 1
        p["churned"] = False
        if rng.random() < 0.10 or start >= N_DAYS:
            p["active"] = False  # signed up, never became a paying customer
            continue
        p["active"] = True
        if rng.random() < 0.35:
            p["end"] = min(N_DAYS - 1, start + 60 + int(rng.expovariate(1 / 420.0)))
            p["churned"] = p["end"] < N_DAYS - 1
        end = p["end"]
        seats = max(3, round(p["employees"] * rng.uniform(0.15, 0.8)))
        seat_price = price_per_seat[p["plan"]]
        if p["plan"] == "enterprise":
            cycle = 12 if rng.random() < 0.6 else 3
        else:
            cycle = 1 if rng.random() < 0.75 else 12
        start_date = _day_of(start)
        bill_day = min(start_date.day, 28)
        y, m = start_date.year, start_date.month
        k = 0
        while True:
            mm = m - 1 + k
            d = date(y + mm // 12, mm % 12 + 1, bill_day)
            di = _day_index(d)
            if di > end:
                break
            if k > 0 and k % 12 == 0:
                seats = max(3, round(seats * rng.uniform(0.95, 1.25)))  # renewal: seat change
            amount = round(seats * seat_price * cycle, 2)
            invoices.append((di * DAY_S + 6 * 3600, p["id"], amount, "licenses"))
            if p["plan"] != "starter" and cycle == 12 and rng.random() < 0.7:
                invoices.append((di * DAY_S + 6 * 3600 + 60, p["id"],
                                 round(amount * 0.18, 2), "support"))
            k += cycle
        if p["plan"] != "starter" and cycle != 12 and rng.random() < 0.5:
            # support billed yearly for monthly/quarterly payers
            k = 0
            while True:
                mm = m - 1 + k
                d = date(y + mm // 12, mm % 12 + 1, bill_day)
                di = _day_index(d)
                if di > end:
                    break
                invoices.append((di * DAY_S + 6 * 3600 + 60, p["id"],
                                 round(seats * seat_price * 12 * 0.15, 2), "support"))
                k += 12
        size = math.sqrt(p["employees"])
        years = (end - start + 1) / 365.25
        for _ in range(_poisson(rng, years * (0.25 + size / 12.0))):
            day = _sample_day(rng, start, end, day_w, wmax)
            amt = 1800.0 * (1 + size / 5) * rng.lognormvariate(0.0, 0.7)
            invoices.append((_business_second(rng, day), p["id"], float(round(amt, -1)),
                             "services"))
        if rng.random() < 0.35:
            for _ in range(_poisson(rng, years * (0.4 + p["sites"] / 10.0))):
                day = _sample_day(rng, start, end, day_w, wmax)
                amt = 950.0 * p["sites"] ** 0.6 * rng.lognormvariate(0.0, 0.6)
                invoices.append((_business_second(rng, day), p["id"], round(amt, 2), "hardware"))

    # support tickets
    rng = _rng(seed, "b2b/tickets")
    severity = _Choice([("low", 0.40), ("medium", 0.35), ("high", 0.18), ("critical", 0.07)])
    tickets = []  # (second, account_id, severity, resolved)
    for p in profiles:
        start = p["created"]
        end = p["end"] if p["active"] else min(N_DAYS - 1, start + 45)
        if start >= N_DAYS:
            continue
        years = (end - start + 1) / 365.25
        rate = (0.4 + math.sqrt(p["employees"]) / 5.0) * (1.4 if p["plan"] == "enterprise" else 1)
        n = _poisson(rng, years * rate)
        n_pre = _poisson(rng, 2.5) if p["churned"] else 0  # trouble before churning
        days = [_sample_day(rng, start, end, day_w, wmax) for _ in range(n)]
        days += [max(start, end - rng.randrange(90)) for _ in range(n_pre)]
        for i, day in enumerate(days):
            sev = severity(rng) if i < n or rng.random() < 0.4 else "critical"
            age_days = AS_OF_DAY - day
            if age_days < 0:
                resolved = rng.random() < 0.35
            elif age_days < 14:
                resolved = rng.random() < (0.55 if sev in ("low", "medium") else 0.75)
            else:
                resolved = rng.random() < 0.97
            tickets.append((_business_second(rng, day), p["id"], sev, resolved))

    accounts_df = pl.DataFrame({
        "account_id": pl.Series(acc["account_id"], dtype=pl.Int64),
        "company_name": pl.Series(acc["company_name"], dtype=pl.String),
        "industry": pl.Series(acc["industry"], dtype=pl.String),
        "employees": pl.Series(acc["employees"], dtype=pl.Int64),
        "annual_revenue": pl.Series(acc["annual_revenue"], dtype=pl.Float64),
        "sites": pl.Series(acc["sites"], dtype=pl.Int64),
        "province": pl.Series(acc["province"], dtype=pl.String),
        "city": pl.Series(acc["city"], dtype=pl.String),
        "country": pl.Series(acc["country"], dtype=pl.String),
        "created_at": _date_series("created_at", acc["created_at"]),
        "plan": pl.Series(acc["plan"], dtype=pl.String),
    })
    invoices = [i for i in invoices if i[0] <= LAST_S]
    invoices.sort(key=lambda i: (i[0], i[1], i[3], i[2]))
    invoices_df = pl.DataFrame({
        "invoice_id": pl.Series(range(1, len(invoices) + 1), dtype=pl.Int64),
        "account_id": pl.Series([i[1] for i in invoices], dtype=pl.Int64),
        "invoiced_at": _datetime_series("invoiced_at", [i[0] for i in invoices]),
        "amount": pl.Series([i[2] for i in invoices], dtype=pl.Float64),
        "product_line": pl.Series([i[3] for i in invoices], dtype=pl.String),
    })
    tickets.sort(key=lambda t: (t[0], t[1], t[2], t[3]))
    tickets_df = pl.DataFrame({
        "ticket_id": pl.Series(range(1, len(tickets) + 1), dtype=pl.Int64),
        "account_id": pl.Series([t[1] for t in tickets], dtype=pl.Int64),
        "opened_at": _datetime_series("opened_at", [t[0] for t in tickets]),
        "severity": pl.Series([t[2] for t in tickets], dtype=pl.String),
        "resolved": pl.Series([t[3] for t in tickets], dtype=pl.Boolean),
    })
    _write(accounts_df, out_dir / "accounts.parquet")
    _write(invoices_df, out_dir / "invoices.parquet")
    _write(tickets_df, out_dir / "support_tickets.parquet")


# --------------------------------------------------------------------------- #
# CLI
# --------------------------------------------------------------------------- #


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent,
                        help="examples root; writes <out-dir>/shop/data and <out-dir>/b2b/data")
    parser.add_argument("--customers", type=int, default=30000)
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--only", choices=("shop", "b2b"), default=None)
    args = parser.parse_args(argv)

    if args.only in (None, "shop"):
        t0 = time.perf_counter()
        generate_shop(args.out_dir / "shop" / "data", seed=args.seed, customers=args.customers)
        print(f"shop: {time.perf_counter() - t0:.1f}s -> {args.out_dir / 'shop' / 'data'}")
    if args.only in (None, "b2b"):
        t0 = time.perf_counter()
        generate_b2b(args.out_dir / "b2b" / "data", seed=args.seed, accounts=args.accounts)
        print(f"b2b:  {time.perf_counter() - t0:.1f}s -> {args.out_dir / 'b2b' / 'data'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`segl init`: a new project folder with a project file, a first segment file and a small
sample of data, so that `segl run` works straight away."""

from __future__ import annotations

import contextlib
import random
from datetime import date, timedelta
from pathlib import Path

from .atomic_files import write_text_atomically
from .errors import OutputError, UsageError

SEGMENTS = '''# My first segments. Run them with `segl run`; see docs/tutorial.md.

entity customer from csv "data/customers.csv" key customer_id {
  customer_id int
  city text
  birth_date date
}

events orders from csv "data/orders.csv" key customer_id at ordered_at {
  ordered_at timestamp
  amount float
}

feature age = years_between(birth_date, as_of)
feature orders_90d = count(orders) in last 90 days
feature spend_total = sum(orders.amount)

segment active "Ordered in the last 90 days" = orders_90d >= 1
segment big_spenders = top 20% by spend_total
segment young_amsterdam = age < 35 and city = "Amsterdam"
'''

PROJECT = '''[segl]
entry = ["segments.seg"]
as_of = "{as_of}"
'''

CITIES = ("Amsterdam", "Rotterdam", "Utrecht", "Den Haag", "Eindhoven", "Groningen")


def scaffold(folder: Path, customers: int = 200, seed: int = 1) -> list[Path]:
    files = {
        folder / "segl.toml": PROJECT.format(as_of="2026-06-30"),
        folder / "segments.seg": SEGMENTS,
    }
    existing = [p for p in (*files, folder / "data") if p.exists()]
    if existing:
        raise UsageError(f"{existing[0]} already exists: segl init only creates new files")
    rng = random.Random(seed)
    customer_rows = ["customer_id,city,birth_date"]
    order_rows = ["customer_id,ordered_at,amount"]
    start = date(2025, 1, 1)
    for key in range(1, customers + 1):
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
        customer_rows.append(f"{key},{rng.choice(CITIES)},{born.isoformat()}")
        for _ in range(int(rng.paretovariate(1.5)) - 1):
            day = start + timedelta(days=rng.randrange(0, 546))
            order_rows.append(f"{key},{day.isoformat()} 12:00:00,{rng.randrange(500, 25000) / 100}")
    files[folder / "data" / "customers.csv"] = "\n".join(customer_rows) + "\n"
    files[folder / "data" / "orders.csv"] = "\n".join(order_rows) + "\n"
    written: list[Path] = []
    try:
        for path, text in files.items():
            write_text_atomically(str(path), text)
            written.append(path)
    except OutputError:
        # Half a project would make the next `segl init` refuse: take back what was written.
        for path in written:
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            (folder / "data").rmdir()
        raise
    return list(files)

"""The exports' shop: 3,000 customers, a suppression list, the four exports of test_exports."""

from __future__ import annotations

import random

import pytest

from .test_exports import EXPORTS, HEAD


@pytest.fixture
def shop(project):
    rng = random.Random(8)
    rows = [{"customer_id": i, "city": rng.choice(["Amsterdam", "Utrecht"]),
             "email": f"person{i}@example.nl", "first_name": f"N{i}",
             "opt_in": rng.choice([True, False, None]), "spend": None}
            for i in range(1, 3_001)]
    optout = [{"customer_id": i} for i in range(1, 3_001, 37)]
    path = project(HEAD + EXPORTS, {"customers": rows, "optout": optout})
    return path, rows, {r["customer_id"] for r in optout}

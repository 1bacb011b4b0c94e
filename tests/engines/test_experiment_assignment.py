"""Experiment arms and the holdout (docs/experiments.md) on every engine: for 25,000
generated keys, integers and texts, each engine assigns exactly the arm an independent
Python computation of the published hash gives (hashlib here, not segl's own code); the same
for a stratified experiment (`stratify by`: numbered by slot and key within each stratum),
whose every stratum is split in the declared shares to within one member."""

from __future__ import annotations

import functools
import hashlib
import random
from collections import defaultdict

import polars as pl
import pytest
from segl.runtime.api import evaluate

from .conftest import OTHER_ENGINES, engine_params

ENGINES = engine_params(["duckdb", *OTHER_ENGINES])
KEYS = 25_000     # (100,000 cost 58 s of the suite's CPU; a hash that differs shows on any key)
ARMS = (("control", 10), ("variant_a", 45), ("variant_b", 45))


def published_slot(salt: str, key: object) -> int:
    """docs/experiments.md: first 8 hex digits of md5(salt ':' key), modulo 10000."""
    return int(hashlib.md5(f"{salt}:{key}".encode()).hexdigest()[:8], 16) % 10_000


def expected_arm(key: object, in_segment: bool) -> str:
    if not in_segment or published_slot("global-1", key) < 500:
        return "outside"
    slot, low = published_slot("spring-2026", key), 0
    for arm, percent in ARMS:
        if low <= slot < low + percent * 100:
            return arm
        low += percent * 100
    return "outside"


def _keys(kind: str) -> list:
    rng = random.Random(12)
    if kind == "int":
        return rng.sample(range(-5_000_000, 5_000_000_000), KEYS)
    letters = "abcdefghijklmnopqrstuvwxyzÉéüß-_ 0123456789"
    found: dict[str, None] = {}
    while len(found) < KEYS:
        found["".join(rng.choice(letters) for _ in range(rng.randint(1, 12)))] = None
    return list(found)


REGIONS = ("north", "south", "east", "west", "Île", None)  # a missing region is a stratum


@functools.cache
def _rows(kind: str) -> tuple[pl.DataFrame, dict, dict]:
    """The customers' table, and by key: in the segment, and the region. (Made once per
    kind and worker: every engine reads the same rows.)"""
    keys = _keys(kind)
    rng = random.Random(7)
    # strata of very different sizes (and one of a few members)
    rows = [{"customer_id": key, "group": index % 3,
             "region": "tiny" if index % 1_000 == 0 else
             rng.choices(REGIONS, weights=(40, 25, 15, 10, 6, 4))[0]}
            for index, key in enumerate(keys)]
    schema = {"customer_id": pl.Int64 if kind == "int" else pl.String, "group": pl.Int64,
              "region": pl.String}
    return pl.DataFrame(rows, schema=schema), \
        {row["customer_id"]: row["group"] != 0 for row in rows}, \
        {row["customer_id"]: row["region"] for row in rows}


def _project(project, kind: str):
    customers, members, regions = _rows(kind)
    arms = " ".join(f"{arm} {percent}%" for arm, percent in ARMS)
    path = project(f"""
        entity customer from parquet "data/customers.parquet" key customer_id {{
          customer_id {kind if kind == "int" else "text"}
          group int
          region text
        }}
        segment most = group != 0
        holdout 5% salt "global-1"
        experiment spring on most salt "spring-2026" {{ {arms} }}
        experiment balanced on most salt "spring-2026" stratify by region {{ {arms} }}
        """, {})
    customers.write_parquet(path.parent / "data" / "customers.parquet")
    return path, members, regions


@functools.cache
def _expected(kind: str) -> tuple[dict, set, dict]:
    """The independent computation for every key, once per kind and worker (the engines
    are each checked against all of it): the arm, the holdout, the stratified arm."""
    _, members, regions = _rows(kind)
    return ({key: expected_arm(key, member) for key, member in members.items()},
            {key for key in members if published_slot("global-1", key) < 500},
            stratified_arms(members, regions))


def stratified_arms(members: dict, regions: dict) -> dict:
    """docs/experiments.md: within each stratum the eligible members numbered by (slot,
    key) from 1; the one at p of n has slot floor(10000 * (p - 1) / n)."""
    strata = defaultdict(list)
    for key, member in members.items():
        if member and published_slot("global-1", key) >= 500:
            strata[regions[key]].append(key)
    found = {key: "outside" for key in members}
    for keys in strata.values():
        keys.sort(key=lambda k: (published_slot("spring-2026", k), k))
        for position, key in enumerate(keys, 1):
            slot, low = 10_000 * (position - 1) // len(keys), 0
            for arm, percent in ARMS:
                if low <= slot < low + percent * 100:
                    found[key] = arm
                low += percent * 100
    return found


@pytest.mark.parametrize("kind", ["int", "text"])
@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_assigns_the_published_arms(project, engine, engine_options, kind):
    path, _members, _regions = _project(project, kind)
    evaluation = evaluate(path, as_of="2026-06-30", engine=engine,
                          engine_options=engine_options)
    evaluation.connection.complete()  # (the run's last execute(), before the relation API)
    rows = evaluation.connection.table(evaluation.table).select(
        "customer_id", "spring", "holdout", "balanced").fetchall()
    assert len(rows) == KEYS
    arms, held_out, stratified = _expected(kind)
    wrong = [(key, arm, arms[key]) for key, arm, _, _ in rows if arm != arms[key]]
    assert wrong[:5] == []
    holdout = {key for key, _, held, _ in rows if held}
    assert holdout == held_out
    assert [(key, arm, stratified[key]) for key, _, _, arm in rows
            if arm != stratified[key]][:5] == []


@pytest.mark.parametrize("kind", ["int", "text"])
def test_shares_are_within_binomial_tolerance(project, kind):
    path, members, _regions = _project(project, kind)
    evaluation = evaluate(path, as_of="2026-06-30")
    eligible = sum(1 for key, member in members.items()
                   if member and published_slot("global-1", key) >= 500)
    held = evaluation.sizes["holdout"]
    assert abs(held - 0.05 * KEYS) <= 4 * (KEYS * 0.05 * 0.95) ** 0.5
    for arm, percent in ARMS:
        p = percent / 100
        size = evaluation.buckets["spring"][arm]
        assert abs(size - p * eligible) <= 4 * (eligible * p * (1 - p)) ** 0.5, arm


@pytest.mark.parametrize("kind", ["int", "text"])
def test_a_stratified_experiment_splits_each_stratum_in_its_shares(project, kind):
    path, _members, regions = _project(project, kind)
    evaluation = evaluate(path, as_of="2026-06-30")
    evaluation.connection.complete()
    rows = evaluation.connection.table(evaluation.table).select(
        "customer_id", "balanced").fetchall()
    by_stratum: dict = defaultdict(lambda: defaultdict(int))
    for key, arm in rows:
        if arm != "outside":
            by_stratum[regions[key]][arm] += 1
    assert set(by_stratum) == {*REGIONS, "tiny"}
    for stratum, sizes in by_stratum.items():
        total = sum(sizes.values())
        for arm, percent in ARMS:
            # exact to within one member, not merely within binomial noise
            assert abs(sizes[arm] - total * percent / 100) <= 1, (stratum, arm, dict(sizes))

"""The daily rollup of the prepared layout (issue 15 item 3): `segl prepare` stores, for each
events table (orders; line items, reached through orders, per the orders' entity key), the
partial aggregates the model's measures of that table need per (entity key, day) as
Parquet (`compiler/backends/sql/rollup.py` says what a partial is and which measures it
serves); runs add those up instead of scanning the events, table by table: each rollup is
read when it is small enough (its daily rows, or its compacted layer, at most
USEFUL_SHARE of the table's rows) and every source it was made from is unchanged, and
the other tables are read raw.

`rollups.json` in the layout's folder lists, per rollup (by table and a digest of its
partials, so the models of several entry files of a project keep theirs), its part files,
the partials they hold, and the fingerprint (path, size, modification time of every file)
of each table and lookup it was made from. A run uses a rollup only when every fingerprint
still matches; otherwise it reads the events (or the sorted copies of `prepared.py`).

Refresh: when every table of a rollup only gained files (a glob matched more; each file it
matched before is unchanged) and its lookups are unchanged, only the new rows are rolled up,
into one more part file: the new rows of the entity's table; for a table reached through it,
its new rows joined to every row of the other, and its old rows joined to that table's new
rows. Parts may then hold the same (key, day) twice; a run adds them up either way. Any
other change rebuilds the rollup. Files are written under a temporary name and renamed, and
the list is replaced last, so a crash leaves the old rollup (and unused files, removed by
the next `prepare`).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from segl.compiler.api import (
    AsOf,
    Model,
    RollupSource,
    RollupUnit,
    SourceOverride,
    location_relation,
    plan_for,
    rollup_units,
)
from sqlglot import exp

from . import sql
from .prepared import fingerprint, folder_for
from .rollup_compaction import compact, cut_of

LIST = "rollups.json"
# A rollup of a table is read only when it has at most this share of the table's rows
# (its daily rows, or its compacted layer); TPC-H orders have about one row per customer
# and day, whose daily rollup measured slower than the orders themselves; line items have
# four per order.
USEFUL_SHARE = 0.5
# 2: one rollup per events table (1: one per entity table, with the tables reached through
# it folded in; such a listing is ignored and rebuilt)
VERSION = 2
PREFIX = "rollup-"


@dataclass(frozen=True)
class Rolled:
    """One rollup written (or refreshed, or kept) by `prepare`."""

    name: str
    parts: int
    rows: int  # rows written this time
    how: str  # "wrote", "refreshed", "kept" or "unused" (written, too little smaller to read)
    # what runs read: "daily" (or its compacted layer, by as_of), "compacted" (only: the
    # daily rows are too many) or "none"
    read: str = "daily"


def units_for(model: Model, overrides: dict[str, SourceOverride] | None = None,
              planned: date | None = None) -> list[RollupUnit]:
    """The rollups of every segment, segmentation, KPI and feature of the model (each
    table of `overrides` read from there instead), planned at as_of `planned` (today):
    one per events table whose measures one can serve, by table."""
    # (No fallback: planning a compiled model raises nothing, every feature is planned as
    # a segment reading it would be, as `segl run --traits all` does. A broad `except`
    # here once hid planning bugs behind a rollup without the features' partials.)
    plan = plan_for(model, None, list(model.kpis), shares=bool(model.kpis),
                    traits=list(model.features))
    return rollup_units(plan, AsOf("date", planned or date.today()), overrides)


def rollups(model: Model, entry: str | Path) -> dict[str, RollupSource]:
    """The rollups whose sources are unchanged since they were made, by events table: of
    several (made for different models of the project), one holding every partial this
    model needs if there is one."""
    folder = folder_for(entry)
    valid: dict[str, list[RollupSource]] = {}
    for item in _read(folder).values():
        if not isinstance(item, dict) or item.get("sources") != _sources(model, item):
            continue
        daily = item.get("useful") is not False
        if not daily and not (isinstance(item.get("compaction"), dict)
                              and item["compaction"].get("useful")):
            continue
        paths = [folder / str(part) for part in item.get("parts", [])]
        if paths and all(p.is_file() and p.parent == folder for p in paths):
            cut = cut_of(item)
            compacted = [folder / part for part in _compaction_parts(item)] \
                if cut is not None else []
            if not compacted or not all(p.is_file() and p.parent == folder
                                        for p in compacted):
                if not daily:
                    continue
                compacted, cut = [], None
            valid.setdefault(str(item.get("unit")), []).append(RollupSource(
                tuple(str(p) for p in paths), frozenset(map(str, item.get("partials", []))),
                tuple(str(p) for p in compacted), cut, daily))
    if all(len(found) == 1 for found in valid.values()):
        return {name: found[0] for name, found in valid.items()}
    wanted = {unit.name: set(unit.partials) for unit in units_for(model)}
    return {name: max(found, key=lambda r: (wanted.get(name, set()) <= r.partials,
                                            len(r.partials)))
            for name, found in valid.items()}


def current(model: Model, entry: str | Path) -> set[str]:
    """The tables whose rollup `prepare` listed and whose sources are unchanged since,
    read by runs or not (`rollups` gives those read)."""
    folder = folder_for(entry)
    return {str(item.get("unit")) for item in _read(folder).values()
            if isinstance(item, dict) and _parts_present(folder, item)
            and item.get("sources") == _sources(model, item)}


def prepare_rollups(model: Model, entry: str | Path, connection,
                    rebuild: bool = False) -> list[Rolled]:
    """Write, refresh or keep the rollup of every unit the model's plan has."""
    folder = folder_for(entry)
    folder.mkdir(parents=True, exist_ok=True)
    old = _read(folder)
    listing: dict[str, object] = {}
    done: list[Rolled] = []
    today = date.today()
    for unit in units_for(model, planned=today):
        names = (*unit.tables, *unit.lookups)
        sources = {name: _fingerprint(model, name) for name in names}
        if any(value is None for value in sources.values()):
            continue
        partials = sorted(set(unit.partials))
        key = f"{unit.name}@{_digest(partials)}"
        before = old.get(key)
        if (not rebuild and isinstance(before, dict) and before.get("partials") == partials
                and before.get("sources") == sources and _parts_present(folder, before)):
            listing[key] = before
            if cut_of(before) is None or not all(
                    (folder / p).is_file() for p in _compaction_parts(before)):
                _compact(connection, model, unit, today, folder, listing[key])
            done.append(Rolled(unit.name, len(before["parts"]), 0, "kept", _read_as(before)))
            continue
        grown = None if rebuild or not isinstance(before, dict) else \
            _grown(before, sources, unit, partials, folder)
        if grown is not None:
            parts, rows = _refresh(connection, model, unit, folder, grown, sources)
            listing[key] = {**before, "sources": sources,
                            "parts": [*before["parts"], *parts],
                            "rows": int(before.get("rows", 0)) + rows}
            _compact(connection, model, unit, today, folder, listing[key])
            done.append(Rolled(unit.name, len(listing[key]["parts"]), rows, "refreshed",
                               _read_as(listing[key])))
            continue
        parts, rows = [], 0
        for part in unit.parts:
            name, count = _write(connection, part.query, folder, unit.name, part.table,
                                 sources, "all")
            parts.append(name)
            rows += count
        useful = rows <= USEFUL_SHARE * _source_rows(connection, model, unit.name)
        listing[key] = {"unit": unit.name, "sources": sources, "partials": partials,
                        "parts": parts, "tables": list(unit.tables),
                        "lookups": list(unit.lookups), "rows": rows, "useful": useful}
        _compact(connection, model, unit, today, folder, listing[key])
        read = _read_as(listing[key])
        done.append(Rolled(unit.name, len(parts), rows, "unused" if read == "none" else "wrote",
                           read))
    for key, item in old.items():  # another model's rollup, still valid: kept
        if key not in listing and isinstance(item, dict) and _parts_present(folder, item) \
                and item.get("sources") == _sources(model, item):
            listing[key] = item
    _write_list(folder, listing)
    kept = {str(p) for item in listing.values() if isinstance(item, dict)
            for p in [*item.get("parts", []), *_compaction_parts(item)]}
    for stale in folder.glob(f"{PREFIX}*.parquet"):
        if stale.name not in kept:
            stale.unlink(missing_ok=True)
    return done


# ---------------------------------------------------------------- compaction
def _compact(connection, model: Model, unit: RollupUnit, planned: date, folder: Path,
             item: dict) -> None:
    """(Re)compute the compacted layer of a listing entry in place (rollup_compaction.py)."""
    item.pop("compaction", None)
    def write(query, label, identity):
        return _write(connection, query, folder, unit.name, "all", identity, label)
    found = compact(connection, unit, planned, [str(folder / p) for p in item["parts"]],
                    write)
    if found is not None:  # read when the daily rollup is, or is small enough by itself
        found["useful"] = item.get("useful") is not False or \
            found["rows"] <= USEFUL_SHARE * _source_rows(connection, model, unit.name)
        item["compaction"] = found


def _read_as(item: dict) -> str:
    """What runs read of a listing entry (Rolled.read)."""
    if item.get("useful") is not False:
        return "daily"
    compaction = item.get("compaction")
    return "compacted" if isinstance(compaction, dict) and compaction.get("useful") else "none"


def _compaction_parts(item: dict) -> list[str]:
    compaction = item.get("compaction")
    parts = compaction.get("parts", []) if isinstance(compaction, dict) else []
    return [str(p) for p in parts] if isinstance(parts, list) else []


# ---------------------------------------------------------------- refresh
def _grown(before: dict, sources: dict, unit: RollupUnit, partials: list[str],
           folder: Path) -> dict[str, list[str]] | None:
    """Per table, the files added since the rollup was made; None unless the only change
    is files added to the tables (lookups and every earlier file unchanged)."""
    if before.get("partials") != partials or not _parts_present(folder, before):
        return None
    old_sources = before.get("sources")
    if not isinstance(old_sources, dict) or set(old_sources) != set(sources):
        return None
    added: dict[str, list[str]] = {}
    for name, now in sources.items():
        was = old_sources[name]
        if not isinstance(was, dict) or was.get("location") != now["location"]:
            return None
        earlier = {f[0]: f for f in was.get("files", [])}
        current = {f[0]: f for f in now["files"]}
        if any(current.get(path) != list(f) for path, f in earlier.items()):
            return None  # a file changed or went away
        extra = sorted(set(current) - set(earlier))
        if extra and name in unit.lookups:
            return None
        added[name] = extra
    return added


def _refresh(connection, model: Model, unit: RollupUnit, folder: Path,
             added: dict[str, list[str]], sources: dict) -> tuple[list[str], int]:
    """Roll up only the new rows (see the module's docstring) into new part files."""
    parts: list[str] = []
    rows = 0
    for index, part in enumerate(unit.parts):
        table = model.events[part.table]
        via = table.through
        pieces: list[dict[str, list[str] | None]] = []
        if added.get(table.name):
            pieces.append({table.name: added[table.name]})  # new rows, all rows of via
        if via and added.get(via):
            old_files = [f[0] for f in sources[table.name]["files"]
                         if f[0] not in added.get(table.name, [])]
            if old_files:
                pieces.append({table.name: old_files, via: added[via]})
        for number, piece in enumerate(pieces):
            overrides = {}
            for name, files in piece.items():
                view = f"segl_rollup_{index}_{number}_{len(overrides)}"
                _view(connection, view, model, name, files)
                overrides[name] = SourceOverride("table", view)
            query = _unit_part(model, unit.name, part.table, overrides)
            name, count = _write(connection, query, folder, unit.name, part.table,
                                 {"piece": piece, "sources": sources}, f"add{number}")
            parts.append(name)
            rows += count
    return parts, rows


def _unit_part(model: Model, unit: str, table: str, overrides: dict[str, SourceOverride]):
    for found in units_for(model, overrides):
        if found.name == unit:
            for part in found.parts:
                if part.table == table:
                    return part.query
    raise ValueError(f"no rollup part for {table}")


def _view(connection, name: str, model: Model, table: str, files: list[str]) -> None:
    """A temporary view reading only `files` of `table`'s location, one after another."""
    location = _location(model, table)
    selects = [exp.select(exp.Star()).from_(location_relation(replace(location, path=path)))
               for path in files]
    query = selects[0]
    for other in selects[1:]:
        query = exp.union(query, other, distinct=False)
    sql.execute(connection, exp.Create(
        this=sql.table_ref(name), kind="VIEW", replace=True, expression=query,
        properties=exp.Properties(expressions=[exp.TemporaryProperty()])))


# ---------------------------------------------------------------- files
def _write(connection, query: exp.Select, folder: Path, unit: str, table: str,
           identity: object, label: str) -> tuple[str, int]:
    text = json.dumps({"identity": identity, "sql": sql.render(query, "duckdb"), "label": label},
                      sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    name = f"{PREFIX}{_safe(unit)}-{_safe(table)}-{label}-{digest}.parquet"
    path = folder / name
    temporary = folder / f".tmp-{os.getpid()}-{name}"
    ordered = exp.select(exp.Star()).from_(query.subquery("part"), copy=False).order_by(
        "_key", "_day", copy=False)
    try:
        sql.execute(connection, sql.copy_to(ordered, str(temporary), {"FORMAT": "parquet"}))
        count = sql.fetch_one(connection, sql.select(sql.count_all(), source=exp.Anonymous(
            this="read_parquet", expressions=[sql.text(str(temporary))])))[0]
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return name, int(count)


def _source_rows(connection, model: Model, table: str) -> int:
    relation = location_relation(_location(model, table), "duckdb", "source")
    return int(sql.fetch_one(connection, sql.select(sql.count_all(), source=relation))[0])


def _location(model: Model, name: str):
    table = model.events.get(name) or model.lookups.get(name)
    for location in table.locations if table is not None else ():
        if location.kind in ("parquet", "csv") and location.path:
            return location
    return None


def _fingerprint(model: Model, name: str) -> dict | None:
    table = model.events.get(name) or model.lookups.get(name)
    if table is None or _location(model, name) is None:
        return None
    return fingerprint(table)


def _sources(model: Model, item: dict) -> dict | None:
    names = [*item.get("tables", []), *item.get("lookups", [])]
    return {str(name): _fingerprint(model, str(name)) for name in names}


def _parts_present(folder: Path, item: dict) -> bool:
    parts = item.get("parts")
    return isinstance(parts, list) and bool(parts) and all(
        (folder / str(p)).is_file() for p in parts)


def _read(folder: Path) -> dict[str, object]:
    try:
        data = json.loads((folder / LIST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return {}
    units = data.get("rollups")
    return units if isinstance(units, dict) else {}


def _write_list(folder: Path, units: dict[str, object]) -> None:
    temporary = folder / f".tmp-{os.getpid()}-{LIST}"
    temporary.write_text(json.dumps({"version": VERSION, "rollups": units}, indent=2),
                         encoding="utf-8")
    os.replace(temporary, folder / LIST)


def _digest(partials: list[str]) -> str:
    return hashlib.sha256(" ".join(partials).encode()).hexdigest()[:12]


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name)[:48] or "table"

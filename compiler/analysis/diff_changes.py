"""The semantic diff's small comparisons: verdicts, metadata, tables, values as text."""

from __future__ import annotations

from .. import ir
from .. import model as m
from ..syntax import format_expressions
from .diff_results import (
    NARROWS,
    SAME,
    UNKNOWN,
    WIDENS,
    Change,
)

# ---------------------------------------------------------------- small helpers


def _verdict(narrower: bool, wider: bool) -> str:
    if narrower and wider:
        return SAME
    if narrower:
        return NARROWS
    if wider:
        return WIDENS
    return UNKNOWN


def _any(conditions: list[ir.Expr]) -> ir.Expr:
    if len(conditions) == 1:
        return conditions[0]
    return ir.Logic("or", tuple(conditions), type=ir.Type.BOOL)


def _of(model: m.Model | None, attribute: str) -> dict:
    return dict(getattr(model, attribute)) if model is not None else {}


def _tables(model: m.Model | None) -> dict[str, m.Table]:
    return {t.name: t for t in model.tables} if model is not None else {}


def _label(obj: object) -> str | None:
    return getattr(obj, "label", None)


def _metadata_changes(old: object, new: object) -> list[Change]:
    changes = []
    for attribute in ("label", "description", "owner", "tags", "purpose"):
        if not hasattr(new, attribute):
            continue
        a, b = getattr(old, attribute), getattr(new, attribute)
        if a != b:
            changes.append(Change(attribute, _value(a), _value(b)))
    # which personal data the object's outputs may carry: a reviewer must see it change
    a, b = set(getattr(old, "allow", ())), set(getattr(new, "allow", ()))
    if a != b:
        changes.append(Change("allow", _allowed(a), _allowed(b)))
    return changes


def _allowed(columns: set[m.Allowed]) -> str | None:
    names = sorted(c.name or f"{c.table}.{c.column}" for c in columns)
    return f"({', '.join(names)})" if names else None


def _expectation_changes(old: tuple[m.Expectation, ...], new: tuple[m.Expectation, ...]
                         ) -> list[Change]:
    before = [e.describe() for e in old]
    after = [e.describe() for e in new]
    return ([Change("expect removed", text, None) for text in before if text not in after]
            + [Change("expect added", None, text) for text in after if text not in before])


def _table_changes(old: m.Table, new: m.Table) -> list[Change]:
    changes = []
    if old.kind != new.kind:
        changes.append(Change("kind", old.kind, new.kind))
    before = ", ".join(f"{loc.kind} {format_expressions.string(loc.target)}"
                     for loc in old.locations)
    after = ", ".join(f"{loc.kind} {format_expressions.string(loc.target)}"
                    for loc in new.locations)
    if before != after:
        changes.append(Change("location", before, after))
    for attribute in ("key", "entity_key", "through", "through_column", "through_via_column",
                      "time_column", "owner", "owner_column"):
        a, b = getattr(old, attribute), getattr(new, attribute)
        if a != b:
            changes.append(Change(attribute.replace("_", " "), _value(a), _value(b)))
    old_columns = {c.name: c for c in old.columns}
    new_columns = {c.name: c for c in new.columns}
    for name in new_columns:
        if name not in old_columns:
            changes.append(Change("column added", None, _column(new_columns[name])))
    for name in old_columns:
        if name not in new_columns:
            changes.append(Change("column removed", _column(old_columns[name]), None))
        elif old_columns[name] != new_columns[name]:
            changes.append(Change("column", _column(old_columns[name]),
                                  _column(new_columns[name])))
    return changes


def _column(column: m.ColumnInfo) -> str:
    return " ".join([column.name, column.type.value, *column.tags])


def _value(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, tuple):
        return "(" + ", ".join(format_expressions.string(str(v)) for v in value) + ")"
    if isinstance(value, str):
        return format_expressions.string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _literal(literal: ir.Literal | None) -> str | None:
    return None if literal is None else _value(literal.value)


def _param(param: m.Param | None) -> str:
    return "(none)" if param is None else str(_value(param.value.value))


def _rows(rows: tuple[m.TestRows, ...]) -> str:
    return ", ".join(f"{len(block.rows)} {block.table} rows" for block in rows) or "no rows"


def _keys(keys: frozenset | None) -> str | None:
    if keys is None:
        return None
    return "(" + ", ".join(str(k) for k in sorted(keys, key=str)) + ")"

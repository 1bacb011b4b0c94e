"""Names a dialect cannot hold apart (E301): two names alike in the bytes an engine keeps,
a dotted name where a dot splits quoted names, a column an engine reads as a value; and the
query's own CTEs kept apart from the user's tables of the same name (`keep_ctes_apart`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from ...codes import Code
from ...diagnostics import Diagnostic, error
from .trees import SOURCE_TABLE, ident

if TYPE_CHECKING:
    from .generator import SqlGenerator


def name_errors(generator: SqlGenerator, query: exp.Expression) -> list[Diagnostic]:
    """E301 for names the dialect cannot hold apart: two names alike in the bytes an
    engine keeps of a name (PostgreSQL: 63; a long name alone is cut the same way
    everywhere, and works), or a name with a `.` where a dot splits a quoted name."""
    limit, dotted = generator.rules.name_bytes, generator.rules.dotted_names
    unusable = generator.rules.unusable_names
    if limit is None and dotted and not unusable:
        return []
    errors: list[Diagnostic] = []
    by_cut: dict[str, set[str]] = {}
    problems: list[tuple[str, str]] = []  # (name, message)
    for identifier in query.find_all(exp.Identifier):
        name = identifier.this
        by_cut.setdefault(cut(name, limit) if limit else name, set()).add(name)
        if not dotted and "." in name:
            problems.append((name, f"the {generator.dialect} dialect reads the `.` in `{name}` "
                                   "as a separator of names, even quoted"))
        if name.casefold() in unusable:
            problems.append((name, f"the {generator.dialect} dialect reads a column named "
                                   f"`{name}` as the value {name.lower()}"))
    for names in by_cut.values():
        if len(names) > 1:
            first, second = sorted(names)[:2]
            problems.append((second, f"the {generator.dialect} dialect keeps the first {limit} "
                                     f"bytes of a name, so `{first}` and `{second}` would "
                                     "be one name there"))
    # Where to point: the definition of that name (a column: its table), else the
    # definition whose name the derived name holds (agg_orders: orders).
    model = generator.model
    definitions = [(o.name, o.span) for o in (
        *model.tables, *model.features.values(), *model.segments.values(),
        *model.segmentations.values(), *model.kpis.values())]
    exact = {c.name: t.span for t in generator.model.tables for c in t.columns}
    exact.update((c, generator.model.entity.span) for c in generator.plan.entity_columns)
    exact.update((c, generator.model.table(t).span) for t, c in generator.plan.lookup_columns)
    for aggregation in generator.plan.aggregations:
        exact.update((column, generator.model.table(table).span)
                     for table, column in generator.columns_in(list(aggregation.measures))
                     if generator.model.table(table) is not None)  # not a correlated value
    exact.update(definitions)
    owners = sorted(definitions, key=lambda pair: -len(pair[0]))
    reported = set()
    for name, message in problems:
        span = exact.get(name) or next((s for owner, s in owners if owner in name), None)
        kind = "dot" if "." in name and not dotted else \
            "value" if name.casefold() in unusable else "bytes"
        if (span, kind) in reported:
            continue  # one error per definition (agg_x.y is x.y's name too)
        reported.add((span, kind))
        hint = {"dot": "rename it without a dot", "value": "rename it",
                "bytes": f"shorten the name to {limit} bytes (UTF-8) or fewer"}[kind]
        errors.append(error(Code.E301, message, span, hint))

    return errors


def cut(name: str, limit: int) -> str:
    """`name` cut to `limit` bytes of UTF-8, at a character boundary (as PostgreSQL does)."""
    data = name.encode()
    if len(data) <= limit:
        return name
    return data[:limit].decode(errors="ignore")



def keep_ctes_apart(query: exp.Select) -> None:
    """Rename, in place, each CTE of `query` named like a user's table that the query reads
    by an unqualified name (a warehouse table `base`, `agg_orders` or `step_1`): in SQL a
    CTE hides a table of its name, so the query would read its own step instead of the
    table, an error at best and wrong members at worst. The CTE becomes `<name>_<n>`, and
    each reference to it is aliased by its old name, so that every column that names it
    still reads it. Names are compared case-folded, as some engines fold them."""
    with_ = query.args.get("with_")
    if with_ is None:
        return
    read = {table.name.casefold() for table in query.find_all(exp.Table)
            if table.meta.get(SOURCE_TABLE) and not table.args.get("db")
            and not table.args.get("catalog")}
    ctes = [cte.alias for cte in with_.expressions]
    renames: dict[str, str] = {}
    taken = read | {name.casefold() for name in ctes}
    for name in ctes:
        if name.casefold() not in read:
            continue
        number = 1
        while f"{name}_{number}".casefold() in taken:
            number += 1
        renames[name] = f"{name}_{number}"
        taken.add(renames[name].casefold())
    if not renames:
        return
    for cte in with_.expressions:
        if cte.alias in renames:
            cte.set("alias", exp.TableAlias(this=ident(renames[cte.alias])))
    for table in list(query.find_all(exp.Table)):
        if table.meta.get(SOURCE_TABLE) or table.args.get("db") or table.args.get("catalog") \
                or table.name not in renames:
            continue
        old = table.name
        if not table.alias:
            table.set("alias", exp.TableAlias(this=ident(old)))
        table.set("this", ident(renames[old]))

"""Which declarations may share a name (issue 13 item 4), and what E102 says when two may not.

KPIs are a namespace of their own: a KPI is named only where KPIs are (`segl kpi NAME`, its
column of the KPI query, its `NAME__index`), never inside an expression, so `kpi orders =
sum(count(orders))` beside the events table `orders`, or `kpi spend` beside the feature
`spend`, is read one way only. Every other declaration shares one namespace, because the
position does not tell them apart: a feature, a segment, a segmentation, a parameter and a
column of the entity are all written as a bare name in conditions (`where spend > 10`), a
table is written bare in an aggregate (`count(orders)`) where a feature may be too, and every
one of them becomes a column or a table of the generated SQL. The error says which reading
would be ambiguous and offers a free name."""

from __future__ import annotations

OWN_NAMESPACE = frozenset({"kpi"})  # kinds whose names never meet the others'

_TABLES = {"entity", "events", "lookup"}
_VALUES = {"feature", "segment", "segmentation", "param"}


def namespace(kind: str) -> str:
    return kind if kind in OWN_NAMESPACE else "value"


def why(kind: str, first_kind: str) -> str:
    """Why a `kind` cannot take the name of a `first_kind`."""
    if kind in _VALUES and first_kind in _VALUES:
        return (f"a {first_kind} and a {kind} are both written as a bare name in conditions "
                f"(`where NAME …`), so one name could not say which")
    if kind in _TABLES or first_kind in _TABLES:
        return ("a table is named bare in aggregates (`count(NAME)`) and is a table of the "
                "generated SQL, where a value of that name would be a column: one name could "
                "not say which")
    return f"a {first_kind} and a {kind} would be one name in the generated SQL and in `segl` " \
        "commands"


def free_name(name: str, kind: str, taken) -> str:
    """A name for the new declaration that nothing has taken: `spend_segment`, `spend_2`."""
    candidates = [f"{name}_{kind}", f"{kind}_{name}"] + [f"{name}_{i}" for i in range(2, 100)]
    return next(c for c in candidates if c not in taken and c.casefold() not in taken)

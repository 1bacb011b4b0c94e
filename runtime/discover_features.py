"""The per-entity values `segl discover` fits on (docs/discovery.md): each feature (and,
for a lookalike, the seed's membership) computed by the chosen engine through the ordinary
plan, as the per-entity component of a KPI of a probe plan, one float column per value,
rows in key order, NaN for missing.

On DuckDB (the default) only the key and those columns are read, ordered by key, through
Arrow into numpy: no Python object per value. Other engines give their members frame.
Either way each column is cast to Float64 by Polars, so the numbers are the same.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import polars as pl
from segl.compiler.api import Compilation, Kpi, Plan, Total, plan_for

from . import sql
from .engines import run_members


def feature_columns(compilation: Compilation, wanted: dict[str, tuple], when: date,
                    connection, engine: str, options: dict[str, object]
                    ) -> dict[str, np.ndarray]:
    """For each fit (name -> its values as expressions), an n x len(values) float matrix."""
    model = compilation.model
    kpis, owners = {}, []
    for name, values in wanted.items():
        for j, value in enumerate(values):
            kpi_name = f"_discover_{len(kpis) + 1}"
            kpis[kpi_name] = Kpi(kpi_name, None, Total("avg", value, type=value.type))
            owners.append((name, j))
    probe = dataclasses.replace(model, kpis=kpis)
    plan = plan_for(probe, [], list(kpis))
    clean = Compilation(compilation.path, probe, [], compilation.files, compilation.params)
    if engine == "duckdb":
        frame = _duckdb_columns(plan, when, connection)
    else:
        frame = run_members(engine, clean, plan, when, connection=connection, **options)
    values = {name: [None] * len(found) for name, found in wanted.items()}
    for (name, j), column in zip(owners, plan.kpi_components, strict=True):
        values[name][j] = frame.get_column(column).cast(pl.Float64).to_numpy(allow_copy=True)
    return {name: np.column_stack(v).astype(float) for name, v in values.items()}


def _duckdb_columns(plan: Plan, when: date, connection) -> pl.DataFrame:
    """The key and the KPI components of the members query, by key, as an Arrow-backed
    frame (DuckDB's types kept: a DECIMAL stays a Decimal until Polars casts it)."""
    from .engines.loading import duckdb_connection, engine_query

    connection = duckdb_connection({"connection": connection})
    members = sql.subquery(engine_query(plan, "duckdb", when, {}), "members")
    query = sql.select(*(sql.col(name) for name in (plan.key, *plan.kpi_components)),
                       source=members)
    return sql.frame(connection, query.order_by(sql.col(plan.key), copy=False))

"""Moved to `backends/sql/kpis.py` (kept for callers of the old module path; new code
imports `segl.compiler.api`)."""

from .backends.sql.kpis import GROUP as GROUP
from .backends.sql.kpis import KIND as KIND
from .backends.sql.kpis import MEMBERS as MEMBERS
from .backends.sql.kpis import generate_kpi_sql as generate_kpi_sql
from .backends.sql.kpis import kpi_query as kpi_query
from .backends.sql.kpis import kpi_select as kpi_select

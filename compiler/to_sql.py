"""Moved to `backends/sql/` (kept for callers of the old module path; new code imports
`segl.compiler.api`)."""

from .backends.sql.generator import SourceOverride as SourceOverride
from .backends.sql.generator import SqlGenerator as SqlGenerator
from .backends.sql.generator import generate_sql as generate_sql
from .backends.sql.generator import members_query as members_query
from .backends.sql.text import comment_text as comment_text
from .backends.sql.trees import col as col
from .backends.sql.trees import ident as ident
from .backends.sql.trees import table_ref as table_ref
from .plan.as_of import AsOf as AsOf
from .plan.as_of import shift_date as shift_date

"""Moved to `backends/polars/` (kept for callers of the old module path; new code imports
`segl.compiler.api`)."""

from .backends.polars.generator import PolarsQuery as PolarsQuery
from .backends.polars.generator import generate_polars as generate_polars
from .backends.polars.numeric import as_sum_decimal as as_sum_decimal
from .backends.polars.numeric import like as like
from .backends.polars.sources import column_named as column_named

"""The plan: what to read, aggregate and compute, decided once for every backend.

`logical.py` plans a model's segments (one `Aggregation` per related table, `Step`s of
computed columns); `physical.py` fixes it for one as_of (window bounds, prefilters, lookup
hoisting, the tables and columns read); `as_of.py` holds the evaluation date and the
calendar rules; `describe.py` prints a plan and serialises it to JSON.
"""

from .as_of import AsOf as AsOf
from .as_of import AsOfMode as AsOfMode
from .as_of import shift_date as shift_date
from .logical import Aggregation as Aggregation
from .logical import Computed as Computed
from .logical import ComputedKind as ComputedKind
from .logical import Measure as Measure
from .logical import Plan as Plan
from .logical import Step as Step
from .logical import feature_table_name as feature_table_name
from .logical import own_name as own_name
from .logical import plan_for as plan_for
from .logical import ranked_expressions as ranked_expressions
from .logical import share_kpis as share_kpis
from .physical import PhysicalPlan as PhysicalPlan
from .physical import physical_plan as physical_plan
from .table_reads import PARTIAL_FUNCS as PARTIAL_FUNCS

"""The notebook API behind `import segl` (docs/python.md)."""

from .project import Project, load
from .results import FunnelView, KpiTable, PersonaView, Result

__all__ = ["FunnelView", "KpiTable", "PersonaView", "Project", "Result", "load"]

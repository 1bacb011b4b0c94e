"""Backends: each translates a physical plan, and decides nothing the plan decides."""

"""The Polars backend: a plan as one lazy Polars query (see README.md)."""

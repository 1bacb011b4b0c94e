"""The SQL backend: a plan as sqlglot trees for any dialect (see README.md)."""

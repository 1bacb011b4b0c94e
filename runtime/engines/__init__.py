"""One module per execution engine."""

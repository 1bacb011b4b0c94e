"""segl's runtime: reads sources, runs compiled plans on an engine, writes outputs, and the
`segl` command line. It uses the compiler through `segl.compiler.api` only."""

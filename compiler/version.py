"""The segl version, recorded in every compiled SQL header and every output."""

SEGL_VERSION = "0.1.0"

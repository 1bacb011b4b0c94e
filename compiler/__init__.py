"""segl's compiler: `.seg` text to plans and SQL. Other code uses it through `segl.compiler.api`.

(A regular package since `segl` itself is one, holding the notebook API: a namespace
subpackage of a regular package is not found by an editable install.)"""

from .dataclass_code import install as _install_code_cache

# (before any module of the compiler makes its dataclasses: their generated methods are
# compiled once and kept in the user's cache folder, compiler/dataclass_code.py)
_install_code_cache()

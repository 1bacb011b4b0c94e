"""segl's compiler: `.seg` text to plans and SQL. Other code uses it through `segl.compiler.api`.

(A regular package since `segl` itself is one, holding the notebook API: a namespace
subpackage of a regular package is not found by an editable install.)"""

"""Compile time: from YAML text to Python source, one module per stage.

    loader (YAML with positions and limits) -> extends (variants) -> models + validate (strict
    pydantic) -> lower (meaning checks, using names and expressions) -> ir (checked trees)
    -> codegen (render: one rendering of each expression per backend; templates/) -> source

Nothing here runs a task: the library (taskspec.library) execs the source into a class of
the runtime package. The compiler reads the runtime only for its limits and function names.
"""

"""Builds the Cython kernels in accelerators/; everything else is declared in pyproject.toml.

``ITINERA_CYTHON_DEBUG=1`` at build time turns on bounds checks and line tracing.
"""

import os

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

debug = os.environ.get("ITINERA_CYTHON_DEBUG", "") not in ("", "0")
directives = {
    "language_level": 3,
    "boundscheck": debug,
    "wraparound": debug,
    "initializedcheck": debug,
    "linetrace": debug,
}
macros = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]
if debug:
    macros.append(("CYTHON_TRACE_NOGIL", "1"))

extensions = [
    Extension(
        "accelerators._graph",
        ["accelerators/_graph.pyx"],
        include_dirs=[numpy.get_include()],
        define_macros=macros,
        extra_compile_args=["-O2"] if not debug else ["-O0", "-g"],
    )
]

setup(ext_modules=cythonize(extensions, compiler_directives=directives))

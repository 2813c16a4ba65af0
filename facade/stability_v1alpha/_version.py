"""The package version, defined once.

The package metadata, ``__version__``, ``stability-v1alpha --version`` and the
User-Agent header all read it from here.
"""

__version__ = "0.2.0.dev0"

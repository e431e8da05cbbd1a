"""Building blocks and runtime for AI Horde workers.

This distribution (horde-sdk-worker) is being built; this version only establishes the package and its
declared dependencies. See the distribution's CHANGELOG for what each release contains.
"""

from horde_sdk.worker.__about__ import __version__

__all__ = ["__version__"]

"""Models and clients for the AI Horde API.

This distribution (horde-sdk-ai-horde-api) is being built; this version only establishes the package and its
declared dependencies. See the distribution's CHANGELOG for what each release contains.
"""

from horde_sdk.ai_horde_api.__about__ import __version__

__all__ = ["__version__"]

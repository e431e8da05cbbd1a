"""Typed configuration of an AI Horde worker deployment.

This distribution (horde-sdk-deploy-config) is being built; this version only establishes the package and its
declared dependencies. See the distribution's CHANGELOG for what each release contains.
"""

from horde_sdk.deploy_config.__about__ import __version__

__all__ = ["__version__"]

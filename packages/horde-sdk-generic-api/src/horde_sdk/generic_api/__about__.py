"""Version of the horde-sdk-generic-api distribution."""

__version__ = "0.1.0"

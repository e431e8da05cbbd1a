"""Version of the horde-sdk-worker distribution."""

__version__ = "0.1.0"

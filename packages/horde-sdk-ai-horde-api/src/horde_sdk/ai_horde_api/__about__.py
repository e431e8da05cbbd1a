"""Version of the horde-sdk-ai-horde-api distribution."""

__version__ = "0.1.0"

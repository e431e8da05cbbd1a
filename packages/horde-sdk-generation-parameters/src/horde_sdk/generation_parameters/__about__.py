"""Version of the horde-sdk-generation-parameters distribution."""

__version__ = "0.1.0"

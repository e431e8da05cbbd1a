"""Version of the horde-sdk-deploy-config distribution."""

__version__ = "0.1.0"

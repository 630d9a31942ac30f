"""iacscan: network-exposure analysis for cloud and container configuration."""

__version__ = "0.1.0"

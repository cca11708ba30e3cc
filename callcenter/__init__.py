"""callcenter: a self-hosted call-center agent console."""

__version__ = "0.1.0"

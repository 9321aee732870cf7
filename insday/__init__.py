"""insday: the 7.8 Insurance Public Awareness Day campaign pipeline."""

__version__ = "0.1.0"

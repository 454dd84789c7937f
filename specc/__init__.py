"""specc: a declarative spec compiler for ML research."""
__version__ = "0.1.0"

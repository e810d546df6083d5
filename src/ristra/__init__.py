"""ristra: one honest, disclosure-safe picture of whom a medical school trains and employs."""

__version__ = "0.1.0"

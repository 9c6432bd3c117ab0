"""Core of the component framework: `from component_framework.core import registry`."""

from .registry import registry

__all__ = ["registry"]

"""Exception classes. The CLI maps InputError to exit code 2 with its one-line message."""

from __future__ import annotations

__all__ = ["InputError", "LandtoolError"]


class LandtoolError(ValueError):
    """Base class of landtool's own errors."""


class InputError(LandtoolError):
    """Bad input or usage: the message names the file, layer, field or feature."""

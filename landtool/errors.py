"""Exception classes. The CLI maps InputError to exit code 2 with its one-line message.

An error carries a code and its parameters, not a sentence: the sentence comes from
the message catalogue (``errors.<code>``) in the language of the run, e.g.::

    raise InputError("file_not_found", path="parcels.gpkg", role="parcels")

``str(error)`` is the English sentence (for Python users and logs); the CLI shows
``error.render(lang)``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["InputError", "LandtoolError"]


class LandtoolError(ValueError):
    """Base class of landtool's own errors: a catalogue code and its parameters."""

    def __init__(self, code: str, /, **args: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = args

    def render(self, lang: str = "en") -> str:
        """The one-line message in ``lang``."""
        from landtool.messages import catalogue

        return catalogue(lang).text(f"errors.{self.code}", **self.params)

    def __str__(self) -> str:
        return self.render("en")


class InputError(LandtoolError):
    """Bad input or usage: the message names the file, layer, field or feature."""

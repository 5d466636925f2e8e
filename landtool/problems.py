"""Errors that list several problems, each a code rendered in the language asked for.

Validators (the field mapping, a layer's fields and values, a policy pack) collect
every problem before raising, so that one run shows the user all there is to fix. Each
problem is a :class:`Problem` — an ``errors.<code>`` entry of the catalogue and its
parameters, without the file's name — and the error itself names the file::

    raise ProblemsError("pack_invalid", [Problem("pack_bad_date", {"key": "issued", "value": "2023-02-30"})], path=label)

``err.code`` is the category (``pack_invalid``), ``err.problem_codes`` the codes of the
problems; ``err.render(lang)`` is one line in ``lang``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from landtool.errors import InputError
from landtool.messages import catalogue

__all__ = ["Problem", "ProblemsError", "raise_problems"]


@dataclass(frozen=True)
class Problem:
    """One problem: a code of ``errors.<code>`` and its parameters."""

    code: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def render(self, lang: str = "en") -> str:
        return catalogue(lang).text(f"errors.{self.code}", **self.args)


class ProblemsError(InputError):
    """An :class:`InputError` whose ``problems`` parameter is a list of :class:`Problem`.

    The problems are rendered one by one in the language asked for and joined with
    ``ui.problem_separator``; the error's template shows them as ``{problems}``.
    """

    def __init__(self, code: str, problems: list[Problem], /, **args: Any) -> None:
        super().__init__(code, problems=list(problems), **args)

    @property
    def problems(self) -> list[Problem]:
        return self.params["problems"]

    @property
    def problem_codes(self) -> list[str]:
        return [p.code for p in self.problems]

    def render(self, lang: str = "en") -> str:
        cat = catalogue(lang)
        joined = cat.get("ui.problem_separator", "; ").join(p.render(lang) for p in self.problems)
        return cat.text(f"errors.{self.code}", **{**self.params, "problems": joined})


def raise_problems(code: str, problems: list[Problem], **args: Any) -> None:
    """Raise :class:`ProblemsError` when ``problems`` is not empty."""
    if problems:
        raise ProblemsError(code, problems, **args)

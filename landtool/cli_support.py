"""What every ``landtool`` command shares: one-line usage errors, the config file, the
consoles, error handling (exit 2, one line, never a traceback) and the :class:`Reporter`
that prints progress, warnings and "wrote …" on stderr in the run's language."""

from __future__ import annotations

import functools
import os
import re
import sys
from contextvars import ContextVar
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console
from typer.core import TyperGroup

from landtool.errors import InputError, LandtoolError
from landtool.messages import LANGS, catalogue

#: The config file looked for in the working directory (``--config`` names another).
CONFIG_NAME = "landtool.yaml"
#: Settings a config file may hold, by the option they default.
CONFIG_KEYS = ("policy", "as_of", "lang", "fields", "encoding", "crs", "basemap", "fail_on", "tianditu_key")

#: The main options (-q, -v) of the command being run.
OPTIONS: ContextVar[dict | None] = ContextVar("landtool_options", default=None)
#: The arguments of the command line being run (for the run record).
ARGV: ContextVar[list | None] = ContextVar("landtool_argv", default=None)

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)
if not out.is_terminal:  # piped or captured: tables as wide as they need, not 80 columns
    out.width = 160


def argv_lang(args: list[str]) -> str:
    """The language asked for on the command line (or in the config), before parsing."""
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args) and args[i + 1] in LANGS:
            return args[i + 1]
        if arg.startswith("--lang=") and arg[7:] in LANGS:
            return arg[7:]
    lang = config_values(config_path(args)).get("lang")
    return lang if lang in LANGS else LANGS[0]


def say(lang: str, key: str, **args) -> str:
    return catalogue(lang).text(f"ui.{key}", **args)


def usage_message(exc: Exception, lang: str) -> str:
    """A usage error of the command-line parser in one line, in ``lang``.

    The parser's exception classes are told apart by what they carry (typer vendors its
    own copy of click, whose classes are not public).
    """
    kind = type(exc).__name__
    param = getattr(exc, "param", None)
    name = (param.opts[0] if param is not None and getattr(param, "opts", None) else getattr(param, "name", "")) or ""
    if kind == "NoSuchOption":
        options = sorted(getattr(exc, "possibilities", None) or [])
        hint = say(lang, "usage_did_you_mean", options=options) if options else ""
        return say(lang, "usage_no_such_option", option=exc.option_name, hint=hint)
    if kind == "MissingParameter":
        return say(lang, "usage_missing", name=name.upper() if getattr(param, "param_type_name", "") == "argument" else name)
    detail = " ".join(exc.format_message().split()) if hasattr(exc, "format_message") else str(exc)
    if (command := re.match(r"No such command '(.+)'", detail)) is not None:
        return say(lang, "usage_no_such_command", command=command[1])
    if (extra := re.match(r"Got unexpected extra arguments?(?:\(s\))? \((.+)\)", detail)) is not None:
        return say(lang, "usage_extra_argument", argument=extra[1])
    if (option := re.match(r"Option '(.+?)' requires (?:an argument|\d+ arguments)", detail)) is not None:
        return say(lang, "usage_needs_value", option=option[1])
    if (option := re.match(r"Option '(.+?)' does not take a value", detail)) is not None:
        return say(lang, "usage_takes_no_value", option=option[1])
    if kind == "BadParameter":
        # the parser's own wording (click's or pydantic-style), told apart by its words
        if re.search(r"valid integer", detail):
            return say(lang, "usage_not_integer", name=name)
        if re.search(r"valid (?:number|float)", detail):
            return say(lang, "usage_not_number", name=name)
        if (bound := re.search(r"(greater|less) than or equal to (\S+?)\.?$", detail)) is not None:
            return say(lang, "usage_at_least" if bound[1] == "greater" else "usage_at_most", name=name, bound=bound[2])
        value = re.search(r"'([^']*)' is not", detail)
        annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
        choices = [m.value for m in annotation] if isinstance(annotation, type) and issubclass(annotation, Enum) else []
        if value is not None:
            return say(lang, "usage_bad_choice", name=name, value=value[1], choices=choices)
        return say(lang, "usage_bad_value", name=name or (getattr(exc, "param_hint", None) or ""), detail=detail)
    return say(lang, "usage_other", detail=detail)


class OneLineGroup(TyperGroup):
    """Typer's group with usage errors as one line (``landtool: error: …``), exit 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        argv = list(sys.argv[1:] if args is None else args)
        ARGV.set(argv)
        lang = argv_lang(argv)
        try:
            code = super().main(argv, prog_name=prog_name or "landtool", complete_var=complete_var, standalone_mode=False, **extra)
        except typer.Abort:
            err.print(say(lang, "line", text=say(lang, "aborted")), markup=False)
            code = 130
        except typer.TyperException as exc:  # the parser's usage errors
            if type(exc).__name__ == "NoArgsIsHelpError":  # `landtool` alone: the help, not an error
                out.print(exc.format_message(), markup=False, highlight=False)
                code = 0
                return sys.exit(code) if standalone_mode else code
            err.print(say(lang, "error_line", text=usage_message(exc, lang)), markup=False, soft_wrap=True)
            code = 2
        except typer.Exit as exc:
            code = exc.exit_code
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code




# --------------------------------------------------------------------------- config, verbosity


def config_path(args: list[str]) -> Path | None:
    for i, arg in enumerate(args):
        if arg == "--config" and i + 1 < len(args):
            return Path(args[i + 1])
        if arg.startswith("--config="):
            return Path(arg[9:])
    local = Path.cwd() / CONFIG_NAME
    return local if local.is_file() else None


def config_values(path: Path | None) -> dict:
    """The settings of a config file (YAML, UTF-8 or GB18030); {} when there is none or it is unreadable
    (the callback reports a bad file properly)."""
    if path is None or not path.is_file():
        return {}
    try:
        return load_config(path)
    except LandtoolError:
        return {}


def load_config(path: Path) -> dict:
    """Read a config file: ``key: value`` lines for :data:`CONFIG_KEYS`; paths relative to the file."""
    import yaml

    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="strict")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        raise InputError("config_not_yaml", path=str(path)) from None
    if not isinstance(data, dict):
        raise InputError("config_not_mapping", path=str(path))
    data = {str(k).replace("-", "_"): v for k, v in data.items()}
    unknown = sorted(set(data) - set(CONFIG_KEYS))
    if unknown:
        raise InputError("config_unknown_keys", path=str(path), keys=unknown, allowed=list(CONFIG_KEYS))
    if "fields" in data and data["fields"] is not None:
        data["fields"] = str((path.parent / str(data["fields"])).resolve())
    if "as_of" in data and data["as_of"] is not None:
        data["as_of"] = str(data["as_of"])
    return data


def fail(exc: LandtoolError | str, lang: str) -> None:
    text = exc.render(lang) if isinstance(exc, LandtoolError) else exc
    err.print(say(lang, "error_line", text=text), markup=False, soft_wrap=True)
    raise typer.Exit(2)


def handle_errors(func):
    """Map library errors to exit code 2 with a one-line message in the command's language."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        lang = getattr(kwargs.get("lang"), "value", None) or argv_lang(ARGV.get() or [])
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except LandtoolError as exc:
            fail(exc, lang)
        except MemoryError:
            fail(say(lang, "out_of_memory"), lang)
        except OSError as exc:
            fail(say(lang, "os_error", path=str(getattr(exc, "filename", "") or ""), reason=str(exc.strerror or exc)), lang)
        except Exception as exc:  # a bug or an input case not foreseen: still one line
            if os.environ.get("LANDTOOL_DEBUG"):
                raise
            fail(say(lang, "internal_error", kind=exc.__class__.__name__, detail=" ".join(str(exc).split())[:300]), lang)

    return wrapper


class Reporter:
    """What a command prints on stderr: progress, warnings, "wrote …", in one language."""

    def __init__(self, lang: str, *, quiet: bool = False, verbose: bool = False):
        self.lang = lang
        self.quiet = quiet
        self.verbose = verbose
        self._status = None

    @classmethod
    def of(cls, lang) -> Reporter:
        """The reporter of the running command (``-q``/``-v`` of the main options)."""
        options = OPTIONS.get() or {}
        return cls(getattr(lang, "value", lang), quiet=options.get("quiet", False), verbose=options.get("verbose", False))

    def __enter__(self):
        if not self.quiet and not self.verbose and err.is_terminal:
            self._status = err.status("landtool", spinner="dots")
            self._status.__enter__()
        return self

    def __exit__(self, *exc):
        if self._status is not None:
            self._status.__exit__(*exc)
            self._status = None
        return False

    def progress(self, message) -> None:
        text = message.render(self.lang)
        if self._status is not None:
            self._status.update(say(self.lang, "line", text=text))
        elif self.verbose:
            err.print(say(self.lang, "line", text=text), markup=False, soft_wrap=True)

    def warn(self, messages) -> None:
        if self.quiet:
            return
        for message in messages:
            err.print(say(self.lang, "warning_line", text=message.render(self.lang)), markup=False, soft_wrap=True)

    def wrote(self, path) -> None:
        if not self.quiet:
            err.print(say(self.lang, "line", text=say(self.lang, "wrote", path=str(path))), markup=False, soft_wrap=True)

    def note(self, key: str, **args) -> None:
        if not self.quiet:
            err.print(say(self.lang, "line", text=say(self.lang, key, **args)), markup=False, soft_wrap=True)

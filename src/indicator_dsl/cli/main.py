"""`ind`: dispatch to a sub-command, imported only when used so start-up stays fast.

Exit codes everywhere: 0 success, 1 problems found (ruleset errors, failed records,
failed tests), 2 usage errors (and paths that cannot be read or written), 130 after
Ctrl-C (SIGINT), 143 after SIGTERM. A Python traceback never reaches the user: an
unexpected failure prints one line and asks for a bug report.

Both signals become exceptions in the main thread, so every `finally` runs on the way
out: worker processes are stopped and temporary files removed.
"""

from __future__ import annotations

import importlib
import signal
import sys
from types import FrameType
from typing import Any

from .. import __version__

COMMANDS = {
    "check": "Parse, resolve and type-check rulesets",
    "fmt": "Format .ind files in the canonical layout",
    "eval": "Score records with a ruleset or catalog",
    "test": "Run YAML test cases beside rulesets",
    "schema": "Print the JSON Schema of a ruleset's record",
    "report": "Score records and write an HTML report of the batch",
    "serve": "Score records over HTTP (needs the serve extra)",
    "plan": "Gap plans: the fewest indicators to recover for the next grade",
    "compare": "Movements between two years' results",
    "rectification": "Rectification items: overdue items, rectified branches",
    "table": "Print the indicator table (指标表) of a ruleset: html, xlsx or docx",
    "template": "Write an empty data-entry workbook (.xlsx) for a ruleset",
    "convert": "Convert records between files and workbooks (.xlsx)",
    "build": "Pack a catalog and its files into a verifiable bundle",
    "lsp": "Run the language server for editors (stdio)",
}

USAGE = (
    "usage: ind COMMAND [ARGS...]\n\ncommands:\n"
    + "\n".join(f"  {name:<13} {text}" for name, text in COMMANDS.items())
    + "\n\nind COMMAND --help shows a command's options; ind --version shows the version.\n"
)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0 if args else 2
    if args[0] == "--version":
        sys.stdout.write(f"ind {__version__}\n")
        return 0
    name = args[0]
    if name not in COMMANDS:
        sys.stderr.write(f"ind: unknown command '{name}'\n\n{USAGE}")
        return 2
    module = importlib.import_module(f".{name}", __package__)
    code: int = module.main(args[1:])
    return code


class Terminated(BaseException):
    """SIGTERM arrived (a BaseException, so no `except Exception` on the way swallows it)."""


_stopping = False  # a signal's exception is on its way up: later signals wait for the clean-up


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """Turn the first SIGINT or SIGTERM into an exception; ignore later ones, so that a second
    signal cannot interrupt the clean-up the first one started (that clean-up is bounded)."""
    global _stopping
    if _stopping:
        return
    _stopping = True
    raise KeyboardInterrupt if signum == signal.SIGINT else Terminated


def _on_unraisable(report: Any) -> None:
    """Python drops an exception raised where it cannot propagate (inside a `Decimal` operation
    called from C, a finalizer, a fork hook), and a signal's exception can land there: raise it
    again a moment later, from a timer, at a point where it ends the run."""
    global _stopping
    if not isinstance(report.exc_value, KeyboardInterrupt | Terminated):
        sys.__unraisablehook__(report)
        return
    _stopping = False
    signum = signal.SIGINT if isinstance(report.exc_value, KeyboardInterrupt) else signal.SIGTERM
    signal.signal(signal.SIGALRM, lambda _, frame: _on_signal(signum, frame))
    signal.setitimer(signal.ITIMER_REAL, 0.01)


def _remove_leftovers() -> None:
    """The temporary files a signal left behind (`files.remove_leftovers`), imported only then:
    `ind --version` stays light."""
    from ..files import remove_leftovers

    remove_leftovers()


def run() -> None:
    """Console-script entry point."""
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    sys.unraisablehook = _on_unraisable
    try:
        code = main()
    except KeyboardInterrupt:
        _remove_leftovers()
        sys.stderr.write("ind: interrupted\n")
        code = 130
    except Terminated:
        _remove_leftovers()
        sys.stderr.write("ind: terminated\n")
        code = 143
    except BrokenPipeError:
        code = 0
    except Exception as error:
        sys.stderr.write(
            f"ind: internal error: {type(error).__name__}: {error}\n"
            "This is a bug in indicator_dsl; please report it with the input that caused it.\n"
        )
        code = 3
    sys.exit(code)

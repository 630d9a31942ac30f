"""Command line: arguments → config → pipeline → exit code.  No analysis logic here."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from iacscan import __version__

# The explicit list of sub-command modules; each defines ``register(subparsers)``
# which sets ``func(args) -> int`` on its parser.
COMMANDS: tuple[str, ...] = (
    "iacscan.commands.scan",
    "iacscan.commands.reach",
    "iacscan.commands.rules",
    "iacscan.commands.graph",
    "iacscan.commands.collect",
    "iacscan.commands.probe",
)

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"iacscan: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; only the sub-command named in ``argv`` is imported (start-up cost matters for hooks)."""
    parser = _Parser(prog="iacscan", description="Network-exposure analysis for Terraform, Kubernetes and compose.")
    parser.add_argument("--version", action="version", version=f"iacscan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    words = [a for a in (argv if argv is not None else sys.argv[1:]) if not a.startswith("-")]
    wanted = f"iacscan.commands.{words[0]}" if words and f"iacscan.commands.{words[0]}" in COMMANDS else None
    for name in COMMANDS:
        if wanted is not None and name != wanted:
            sub.add_parser(name.rsplit(".", 1)[1])
            continue
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        code: int = args.func(args)
        return code
    except KeyboardInterrupt:
        sys.stderr.write("iacscan: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # no traceback ever reaches the user
        sys.stderr.write(f"iacscan: internal error: {type(exc).__name__}: {exc}\n")
        sys.stderr.write(
            "iacscan: please report this with the input that caused it (set IACSCAN_DEBUG=1 for details)\n"
        )
        import os

        if os.environ.get("IACSCAN_DEBUG"):
            import traceback

            traceback.print_exc()
        return 3


if __name__ == "__main__":
    sys.exit(main())

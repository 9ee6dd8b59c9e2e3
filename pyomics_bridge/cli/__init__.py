"""The ``pyomics-bridge`` command: ``info``, ``demo`` and ``run <method>``.

The CLI only parses arguments, reads files, calls public functions and writes files; the logic lives in the
library. Errors print one line (``error: ...``) and exit with status 1, unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import logging
import sys

from ._commands import cmd_demo, cmd_info, cmd_run, method_names


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``pyomics-bridge``."""
    parser = argparse.ArgumentParser(prog="pyomics-bridge", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show full tracebacks")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress messages")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("info", help="versions, optional extras and R availability")

    demo = sub.add_parser("demo", help="run every available workflow and write results plus an HTML report")
    demo.add_argument("--out", default="pob_demo_out", help="output folder (default: %(default)s)")
    demo.add_argument("--workflow", action="append", dest="workflows", help="run only this workflow (repeatable)")
    demo.add_argument("--seed", type=int, default=0, help="random_state for every workflow")
    r_group = demo.add_mutually_exclusive_group()
    r_group.add_argument("--r", dest="use_r", action="store_true", default=None, help="require the R references")
    r_group.add_argument("--no-r", dest="use_r", action="store_false", help="skip the R references")
    demo.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    run = sub.add_parser("run", help="run one method on an .h5ad/.h5mu file")
    run.add_argument("method", help=f"one of: {', '.join(method_names())}")
    run.add_argument("--input", "-i", required=True, help="input .h5ad or .h5mu")
    run.add_argument("--output", "-o", help="output file (default: <input stem>.<method>.<ext>)")
    run.add_argument("--param", "-p", action="append", default=[], metavar="KEY=VALUE",
                     help="keyword argument of the method (value parsed as JSON when possible)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # --verbose raises only our own logger: dependencies that log to the root logger (mudata's option
    # contexts) stay quiet.
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("pyomics_bridge").setLevel(logging.INFO if args.verbose else logging.WARNING)
    commands = {"info": cmd_info, "demo": cmd_demo, "run": cmd_run}
    try:
        return commands[args.command](args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"error: {message} (rerun with --debug for the traceback)", file=sys.stderr)
        return 1

"""Run the benchmark scripts in this folder (files named ``bench_*.py``).

Usage: ``python benchmarks/run_all.py [names ...] [--long]``.

Without names every script runs except the long ones listed in ``LONG`` (each 30 min or more on a 2-core
machine, or needing a reference tool that is normally absent); ``--long`` includes them. Names select scripts
by substring (``hic`` runs ``bench_hic.py`` and ``bench_hic_genome.py``).
"""

from __future__ import annotations

import argparse
import runpy
import sys
from pathlib import Path

# 30+ minutes each on 2 cores, or a live mixOmics build (bench_r_backend)
LONG = {"bench_gonet_transfer.py", "bench_gonet_real.py", "bench_gonet_smalln.py", "bench_r_backend.py",
        "bench_hic_genome.py"}


def select(scripts: list[Path], names: list[str], include_long: bool) -> list[Path]:
    """The scripts to run: those matching any of ``names`` (all when empty), long ones only on request."""
    chosen = [s for s in scripts if not names or any(n in s.name for n in names)]
    if not include_long and not names:
        chosen = [s for s in chosen if s.name not in LONG]
    return chosen


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="substrings of script names to run (default: all)")
    parser.add_argument("--long", action="store_true", help=f"also run the long scripts: {', '.join(sorted(LONG))}")
    args = parser.parse_args(argv)
    here = Path(__file__).parent
    status = 0
    for script in select(sorted(here.glob("bench_*.py")), args.names, args.long):
        print(f"== {script.name}", flush=True)
        saved = sys.argv
        sys.argv = [str(script)]  # each script parses its own (default) arguments
        try:
            runpy.run_path(str(script), run_name="__main__")
        except SystemExit as exc:
            status = status or int(bool(exc.code))
        except Exception as exc:  # keep going: one missing reference tool must not hide the others
            print(f"   failed: {exc}")
            status = 1
        finally:
            sys.argv = saved
    return status


if __name__ == "__main__":
    sys.exit(main())

"""Run every benchmark script in this folder (files named bench_*.py)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

if __name__ == "__main__":
    here = Path(__file__).parent
    status = 0
    for script in sorted(here.glob("bench_*.py")):
        print(f"== {script.name}")
        try:
            runpy.run_path(str(script), run_name="__main__")
        except Exception as exc:  # keep going: one missing reference tool must not hide the others
            print(f"   failed: {exc}")
            status = 1
    sys.exit(status)

"""Implementations of the CLI subcommands (argument handling and file I/O only)."""

from __future__ import annotations

import json
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .._optional import OPTIONAL, is_available

# method name -> (module, function) in the public API; method issues add their entries here.
METHODS: dict[str, tuple[str, str]] = {
    "logrank": ("pyomics_bridge.tl", "logrank"),
    "kaplan_meier": ("pyomics_bridge.tl", "kaplan_meier"),
    "scale": ("pyomics_bridge.pp", "scale"),
    **{name: ("pyomics_bridge.tl", name)
       for name in ("pca_mixomics", "spca", "pls", "spls", "plsda", "splsda", "rcc", "block_spls", "diablo",
                    "prognostic_thresholds", "activation_score")},
}


def method_names() -> list[str]:
    """Names accepted by ``pyomics-bridge run``."""
    return sorted(METHODS)


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "-"


def cmd_info(args) -> int:
    """Print versions, optional extras and the R report."""
    from .. import __version__
    from ..r import check

    print(f"pyomics_bridge {__version__} (Python {platform.python_version()}, {platform.platform()})")
    for dist in ("numpy", "scipy", "pandas", "anndata", "mudata", "scikit-learn", "joblib"):
        print(f"  {dist:<14} {_version(dist)}")
    print("optional extras:")
    for module, (extra, _) in OPTIONAL.items():
        state = _version(module) if is_available(module) else "missing"
        print(f"  [{extra}] {module:<12} {state}")
    print("R bridge:")
    check()
    return 0


def cmd_demo(args) -> int:
    """Run the demo workflows and print where the report is."""
    from ..workflows import run_demo

    if args.use_r:
        from ..r import require_r_package

        require_r_package("survival", purpose="the demo's R references (--r)")
    report = run_demo(args.out, workflows=args.workflows, random_state=args.seed, use_r=args.use_r,
                      progress=False if args.no_progress else None)
    print(f"report: {report}")
    return 0


def _parse_params(items: list[str]) -> dict:
    params = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--param must look like KEY=VALUE, got {item!r}")
        key, raw = item.split("=", 1)
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    return params


def cmd_run(args) -> int:
    """Read the input file, call the method in place, write the output file."""
    import importlib

    from .. import io

    if args.method not in METHODS:
        raise ValueError(f"unknown method {args.method!r}; available: {', '.join(method_names())}")
    module, func = METHODS[args.method]
    fn = getattr(importlib.import_module(module), func)
    data = io.read(args.input)
    fn(data, **_parse_params(args.param))
    src = Path(args.input)
    out = Path(args.output) if args.output else src.with_name(f"{src.stem}.{args.method}{src.suffix}")
    io.write(data, out)
    print(f"wrote {out}")
    return 0

"""Finding R, rpy2 and R packages; clear errors telling how to install what is missing.

Nothing here starts R at import time: the embedded R session starts on the first call that needs it.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from .._optional import MissingExtraError, is_available

# R package -> (how it is distributed, Debian package)
R_PACKAGES: dict[str, tuple[str, str]] = {
    "survival": ("cran", "r-cran-survival"),
    "maxstat": ("cran", "r-cran-maxstat"),
    "mixOmics": ("bioc", "r-bioc-mixomics"),
    "SummarizedExperiment": ("bioc", "r-bioc-summarizedexperiment"),
    "MultiAssayExperiment": ("bioc", "r-bioc-multiassayexperiment"),
    "S4Vectors": ("bioc", "r-bioc-s4vectors"),
    "Matrix": ("cran", "r-cran-matrix"),
    "reticulate": ("cran", "r-cran-reticulate"),
}

CHECKED_PACKAGES = ("survival", "maxstat", "mixOmics", "SummarizedExperiment", "MultiAssayExperiment")


class RUnavailableError(RuntimeError):
    """R, rpy2 or an R package needed by a ``backend="r"`` call is missing."""


def install_hint(package: str) -> str:
    """The commands that install an R package (Debian package where one exists, else from R)."""
    source, deb = R_PACKAGES.get(package, ("cran", f"r-cran-{package.lower()}"))
    if package == "mixOmics":
        # Not packaged by Debian: Bioconductor only.
        return 'in R: install.packages("BiocManager"); BiocManager::install("mixOmics")'
    from_r = (
        f'BiocManager::install("{package}")' if source == "bioc" else f'install.packages("{package}")'
    )
    return f"apt-get install {deb}   (or in R: {from_r})"


def r_executable() -> str | None:
    """Path of the ``R`` program, from ``R_HOME`` or ``PATH``."""
    home = os.environ.get("R_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "R")):
        return os.path.join(home, "bin", "R")
    return shutil.which("R")


@functools.lru_cache(maxsize=1)
def _rpy2_robjects():
    """Import rpy2.robjects (starting embedded R) once, with a clear error when impossible."""
    if not is_available("rpy2"):
        raise MissingExtraError(
            "R-backed functions need rpy2. Install it with: pip install 'pyomics_bridge[r]' "
            "(or: pip install 'rpy2>=3.5,<3.6'; rpy2 >= 3.6 does not work with R < 4.5), after installing R "
            "(Debian/Ubuntu: apt-get install r-base-core r-base-dev)"
        )
    if r_executable() is None:
        raise RUnavailableError("R is not installed or not on PATH (Debian/Ubuntu: apt-get install r-base-core)")
    saved = os.environ.get("LD_LIBRARY_PATH")
    try:
        import rpy2.robjects as ro
    except Exception as exc:  # rpy2 raises various errors when libR cannot be loaded
        raise RUnavailableError(f"rpy2 is installed but could not start R: {exc}") from exc
    finally:
        # Starting R prepends R's library folders (and /usr/lib/<arch>) to LD_LIBRARY_PATH. Child processes
        # (joblib/loky workers, subprocesses) would then load the system libpython instead of this interpreter's
        # and lose its site-packages. R has already loaded its libraries, so the variable can be restored.
        if saved is None:
            os.environ.pop("LD_LIBRARY_PATH", None)
        else:
            os.environ["LD_LIBRARY_PATH"] = saved
    return ro


def robjects():
    """The ``rpy2.robjects`` module with R running, or a clear :class:`RUnavailableError`."""
    return _rpy2_robjects()


def r_package_version(package: str) -> str | None:
    """Installed version of an R package, or ``None`` when it is not installed (needs rpy2)."""
    ro = robjects()
    res = ro.r(
        f'if (requireNamespace("{package}", quietly = TRUE)) as.character(utils::packageVersion("{package}")) '
        "else NA_character_"
    )
    value = res[0]
    return None if value is ro.NA_Character or str(value) == "NA" else str(value)


def require_r_package(package: str, *, purpose: str | None = None) -> str:
    """Return the version of an R package or raise :class:`RUnavailableError` with the install command."""
    version = r_package_version(package)
    if version is None:
        need = f" for {purpose}" if purpose else ""
        raise RUnavailableError(f"the R package {package!r} is needed{need} but is not installed. Install it: "
                                f"{install_hint(package)}")
    return version


def r_versions(packages: Sequence[str] = ()) -> dict[str, str]:
    """``{"R": ..., "rpy2": ..., "R:<pkg>": ...}`` for recording next to results computed with R."""
    ro = robjects()
    import rpy2

    out = {"R": str(ro.r("paste(R.version$major, R.version$minor, sep='.')")[0]), "rpy2": rpy2.__version__}
    for pkg in packages:
        out[f"R:{pkg}"] = r_package_version(pkg) or "absent"
    return out


@dataclass(frozen=True)
class Component:
    """One line of :func:`check`'s report."""

    name: str
    available: bool
    version: str | None
    detail: str


def _versions_via_rscript(rbin: str, packages: Sequence[str]) -> dict[str, str | None]:
    # Without rpy2 we can still tell the user which R packages are there.
    pkgs = ",".join(f'"{p}"' for p in packages)
    code = (
        f"for (p in c({pkgs})) cat(p, if (requireNamespace(p, quietly=TRUE)) "
        "as.character(utils::packageVersion(p)) else 'NA', '\\n')"
    )
    rscript = os.path.join(os.path.dirname(rbin), "Rscript")
    try:
        out = subprocess.run([rscript, "--vanilla", "-e", code], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return dict.fromkeys(packages)
    found: dict[str, str | None] = dict.fromkeys(packages)
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in found and parts[1] != "NA":
            found[parts[0]] = parts[1]
    return found


def check(packages: Sequence[str] = CHECKED_PACKAGES, *, verbose: bool = True) -> list[Component]:
    """Report which of R, rpy2 and the R packages used by pyomics_bridge are usable, with versions.

    Works whether or not R and rpy2 are installed; never raises for a missing component.

    Parameters
    ----------
    packages
        R packages to look for.
    verbose
        Also print the report, one line per component, with the install command for what is missing.

    Returns
    -------
    One :class:`Component` per item: R, rpy2, then each R package.
    """
    report: list[Component] = []
    rbin = r_executable()
    rpy2_ok = is_available("rpy2")
    r_version = None
    pkg_versions: dict[str, str | None] = dict.fromkeys(packages)
    rpy2_detail = "pip install 'pyomics_bridge[r]'"
    if rbin is not None and rpy2_ok:
        try:
            vers = r_versions()
            r_version = vers["R"]
            pkg_versions = {p: r_package_version(p) for p in packages}
            rpy2_detail = f"rpy2 {vers['rpy2']} embeds R"
        except (RUnavailableError, MissingExtraError) as exc:
            rpy2_ok, rpy2_detail = False, str(exc)
    elif rbin is not None:
        pkg_versions = _versions_via_rscript(rbin, packages)
    if rbin is not None and r_version is None:
        try:
            out = subprocess.run([rbin, "--version"], capture_output=True, text=True, timeout=60)
            r_version = out.stdout.split("\n")[0].split()[2] if out.returncode == 0 else None
        except (OSError, subprocess.TimeoutExpired, IndexError):
            r_version = None
    report.append(Component("R", r_version is not None, r_version,
                            rbin or "apt-get install r-base-core r-base-dev"))
    import importlib.metadata as md

    rpy2_version = md.version("rpy2") if is_available("rpy2") else None
    report.append(Component("rpy2", rpy2_ok and rbin is not None, rpy2_version, rpy2_detail))
    for pkg in packages:
        v = pkg_versions.get(pkg)
        report.append(Component(pkg, v is not None, v, "installed" if v else install_hint(pkg)))
    if verbose:
        for c in report:
            status = "ok     " if c.available else "MISSING"
            print(f"{status} {c.name:<22} {c.version or '-':<12} {'' if c.available else c.detail}")
    return report

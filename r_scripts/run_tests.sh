#!/usr/bin/env bash
# Install the R package pyomicsbridge into a private library and run its testthat tests.
#
#   RETICULATE_PYTHON=/path/to/python bash r_scripts/run_tests.sh
#
# RETICULATE_PYTHON: the interpreter where pyomics_bridge is installed. When unset, the script uses the
#   python3 on the PATH (resolved to its real executable, so pyenv shims work); the tests skip cleanly when
#   that Python cannot import pyomics_bridge.
# POB_R_REQUIRE_PYTHON=1: fail (exit 2) instead of skipping when pyomics_bridge cannot be used from R
#   (recommended in CI, so that a wrong RETICULATE_PYTHON cannot turn the suite into skips).
# POB_R_LIB: where to install the package (default: a fresh temporary directory, removed at exit).
# Exit status: 0 when no test fails (skips allowed), non-zero otherwise.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ -z "${RETICULATE_PYTHON:-}" ]] && command -v python3 >/dev/null 2>&1; then
  RETICULATE_PYTHON="$(python3 -c 'import sys; print(sys.executable)')"
fi
export RETICULATE_PYTHON="${RETICULATE_PYTHON:-}"
# Never let reticulate offer to install Miniconda or build environments.
export RETICULATE_MINICONDA_ENABLED=FALSE

if [[ -n "${POB_R_LIB:-}" ]]; then
  lib="$POB_R_LIB"
  mkdir -p "$lib"
else
  lib="$(mktemp -d "${TMPDIR:-/tmp}/pob-rlib.XXXXXX")"
  trap 'rm -rf "$lib"' EXIT
fi

R CMD INSTALL --no-test-load -l "$lib" "$here/pyomicsbridge"

echo "RETICULATE_PYTHON=${RETICULATE_PYTHON:-<unset>}"
R_LIBS="$lib${R_LIBS:+:$R_LIBS}" Rscript -e '
  options(cli.dynamic = FALSE)
  if (identical(Sys.getenv("POB_R_REQUIRE_PYTHON"), "1") && !pyomicsbridge::pob_available(quiet = FALSE)) {
    cat("POB_R_REQUIRE_PYTHON=1 but pyomics_bridge is not usable from R (check RETICULATE_PYTHON)\n")
    quit(status = 2)
  }
  res <- testthat::test_dir(commandArgs(TRUE)[[1]], package = "pyomicsbridge", load_package = "installed",
                            reporter = testthat::SummaryReporter$new(show_praise = FALSE),
                            stop_on_failure = FALSE)
  df <- as.data.frame(res)
  failed <- sum(df$failed) + sum(df$error)
  cat(sprintf("pyomicsbridge R tests: %d test blocks, %d expectations, %d blocks skipped\n",
              nrow(df), sum(df$passed), sum(df$skipped)))
  cat(sprintf("testthat: %d passed, %d failed, %d skipped\n", sum(df$passed), failed, sum(df$skipped)))
  if (failed > 0) quit(status = 1)
' "$here/pyomicsbridge/tests/testthat"

# Common tasks. `make test` is the test command of the README and of CI (.ci/run).
PYTHON ?= python3
R_PKG := r_scripts/pyomicsbridge

.PHONY: test test-python test-r demo bench install-dev lint clean

test: test-python test-r

test-python:
	$(PYTHON) -m pytest -q -p no:cacheprovider

test-r:
	R CMD INSTALL --no-test-load $(R_PKG) >/dev/null
	RETICULATE_PYTHON=$${RETICULATE_PYTHON:-$$($(PYTHON) -c 'import sys; print(sys.executable)')} \
	    Rscript -e 'res <- testthat::test_dir("$(R_PKG)/tests/testthat", package = "pyomicsbridge", load_package = "installed", stop_on_failure = TRUE, reporter = "summary")'

demo:
	$(PYTHON) -m pyomics_bridge demo --out pob_demo_out

bench:
	$(PYTHON) benchmarks/run_all.py

install-dev:
	$(PYTHON) -m pip install "torch==2.13.0"
	$(PYTHON) -m pip install -e ".[test,r,dask,plot]"

lint:
	$(PYTHON) -m ruff check pyomics_bridge tests benchmarks

clean:
	rm -rf pob_demo_out .pytest_cache build dist *.egg-info

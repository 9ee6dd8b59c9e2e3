# Common tasks. `make test` is the test command of the README and of CI (.ci/run).
PYTHON ?= python3

.PHONY: test test-python test-r demo bench install-dev lint clean

# R tests first, so that pytest's summary is the last line of the output.
test: test-r test-python

test-python:
	$(PYTHON) -m pytest -q -p no:cacheprovider

test-r:
	RETICULATE_PYTHON=$${RETICULATE_PYTHON:-$$($(PYTHON) -c 'import sys; print(sys.executable)')} \
	    POB_R_REQUIRE_PYTHON=$${POB_R_REQUIRE_PYTHON:-1} bash r_scripts/run_tests.sh

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

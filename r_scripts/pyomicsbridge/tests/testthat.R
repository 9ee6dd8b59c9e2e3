# Run by R CMD check; r_scripts/run_tests.sh runs the same files with testthat::test_dir() instead.
library(testthat)
library(pyomicsbridge)

test_check("pyomicsbridge")

# Shared by all test files (testthat sources helper-*.R first).
suppressPackageStartupMessages({
  library(SummarizedExperiment)
  library(Matrix)
})

skip_if_no_pob <- function() {
  testthat::skip_if_not(pob_available(),
                        "Python with pyomics_bridge is not available (set RETICULATE_PYTHON)")
}

# Python value -> R for plain Python objects (no numpy involved).
py_val <- function(x) reticulate::py_to_r(x)

# max |a - b| <= tol, with NA in the same places.
expect_close <- function(object, expected, tol = 1e-10, label = deparse(substitute(object))) {
  object <- as.numeric(object)
  expected <- as.numeric(expected)
  testthat::expect_identical(length(object), length(expected), label = label)
  testthat::expect_identical(is.na(object), is.na(expected), label = label)
  ok <- !is.na(expected)
  diff <- if (any(ok)) max(abs(object[ok] - expected[ok])) else 0
  testthat::expect_lte(diff, tol, label = paste0("max |difference| of ", label))
}

# A small SummarizedExperiment with every supported column type, NA in all of them, and three assays
# (dense double, dense integer, sparse).
make_se <- function() {
  set.seed(42)
  genes <- paste0("g", 1:5)
  samples <- paste0("s", 1:4)
  logc <- matrix(rnorm(20), 5, 4, dimnames = list(genes, samples))
  counts <- matrix(as.integer(rpois(20, 5)), 5, 4, dimnames = list(genes, samples))
  sp <- Matrix::rsparsematrix(5, 4, density = 0.4)
  dimnames(sp) <- list(genes, samples)
  cd <- S4Vectors::DataFrame(
    condition = factor(c("treated", NA, "control", "treated"), levels = c("treated", "control", "unused")),
    stage = factor(c("I", "III", "II", "I"), levels = c("I", "II", "III"), ordered = TRUE),
    age = c(61.5, NA, 70, 55),
    batch = c(1L, NA, 3L, 3L),
    responder = c(TRUE, NA, FALSE, TRUE),
    smoker = c(TRUE, FALSE, FALSE, TRUE),
    n_reads = 101:104,
    donor = c("d1", NA, "d\u00e9", ""),
    visit = as.Date("2021-03-01") + c(0, 7, 14, 21),
    row.names = samples
  )
  rd <- S4Vectors::DataFrame(symbol = c("A", "B", NA, "D", "E"), length = c(100L, 250L, 80L, NA, 1000L),
                             score = c(0.1, NA, 0.3, 0.4, 0.5), row.names = genes)
  SummarizedExperiment(assays = list(logc = logc, counts = counts, sparse = sp), colData = cd, rowData = rd,
                       metadata = list(project = "p1", params = list(alpha = 0.5, genes = c("g1", "g2")),
                                       design = data.frame(term = c("a", "b"), df = 1:2)))
}

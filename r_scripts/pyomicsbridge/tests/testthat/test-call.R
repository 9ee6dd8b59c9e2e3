# pob_call() is exercised with small functions attached to pyomics_bridge for the duration of a test, so
# that every path back (obs, obsm, varm, uns, copy=True, changed dimensions, return values) is covered.
define_test_tools <- function() {
  reticulate::py_run_string('
import types
import numpy as np
import pyomics_bridge

def _annotate(adata, *, scale=1.0, key_added="annot", copy=False):
    target = adata.copy() if copy else adata
    X = np.asarray(target.X, dtype=float)
    target.obs["total"] = X.sum(axis=1) * scale
    target.obs["high"] = target.obs["total"] > np.median(target.obs["total"])
    target.obsm["X_two"] = X[:, :2] * scale
    target.varm["means"] = np.column_stack([X.mean(axis=0), X.std(axis=0)])
    target.var["mean"] = X.mean(axis=0)
    target.uns[key_added] = {"scale": scale, "n": int(target.n_obs)}
    return target if copy else None

def _first_two(adata):
    return adata[:2].copy()

def _summary(adata, *, key="total"):
    return {"n_obs": int(adata.n_obs), "mean": float(np.asarray(adata.X).mean())}

pyomics_bridge._rtest = types.SimpleNamespace(annotate=_annotate, first_two=_first_two, summary=_summary)
', convert = FALSE)
}

remove_test_tools <- function() {
  reticulate::py_run_string("import pyomics_bridge\nif hasattr(pyomics_bridge, '_rtest'): del pyomics_bridge._rtest")
}

test_that("pob_call brings obs, obsm, varm and uns back into the SummarizedExperiment", {
  skip_if_no_pob()
  define_test_tools(); on.exit(remove_test_tools())
  se <- make_se()
  out <- pob_call("_rtest.annotate", se, scale = 2, key_added = "ann")
  x <- t(assay(se, "logc"))
  expect_s4_class(out, "SummarizedExperiment")
  expect_identical(assays(out), assays(se))
  expect_equal(out$total, unname(rowSums(x)) * 2, tolerance = 1e-12)
  expect_identical(out$high, unname(rowSums(x) > stats::median(rowSums(x))))
  expect_identical(out$condition, se$condition)
  expect_equal(unname(metadata(out)$reducedDims$X_two), unname(x[, 1:2] * 2), tolerance = 1e-12)
  expect_identical(rownames(metadata(out)$reducedDims$X_two), colnames(se))
  expect_equal(unname(rowData(out)$means[, 1]), unname(colMeans(x)), tolerance = 1e-12)
  expect_equal(rowData(out)$mean, unname(colMeans(x)), tolerance = 1e-12)
  expect_identical(rowData(out)$symbol, rowData(se)$symbol)
  expect_identical(metadata(out)$ann, list(scale = 2, n = 4L))
  expect_identical(metadata(out)$project, "p1")
})

test_that("pob_call handles copy=True, matrices, data frames and return values", {
  skip_if_no_pob()
  define_test_tools(); on.exit(remove_test_tools())
  se <- make_se()
  out <- pob_call("_rtest.annotate", se, copy = TRUE)
  expect_identical(metadata(out)$annot$scale, 1)
  # a matrix is features x samples
  m <- assay(se, "logc")
  out_m <- pob_call("_rtest.annotate", m)
  expect_identical(dim(out_m), dim(m))
  expect_equal(out_m$total, unname(colSums(m)), tolerance = 1e-12)
  s <- pob_call("_rtest.summary", m)
  expect_equal(metadata(s)$pob_value, list(n_obs = 4L, mean = mean(m)), tolerance = 1e-12)
  # a changed number of observations returns a new, fully converted object
  expect_message(two <- pob_call("_rtest.first_two", se), "returning a new object")
  expect_identical(dim(two), c(5L, 2L))
  expect_identical(assay(two, "counts"), assay(se, "counts")[, 1:2])
  expected <- colData(se)[1:2, ]
  # AnnData drops unused categories when it subsets
  expected$condition <- droplevels(expected$condition)
  expected$stage <- droplevels(expected$stage)
  expect_identical(colData(two), expected)
})

test_that("pob_call on the real survival functions and its errors", {
  skip_if_no_pob()
  skip_if_not_installed("survival")
  lung <- survival::lung
  lung$event <- as.integer(lung$status == 2)
  out <- pob_call("logrank", lung, time_key = "time", event_key = "event", groupby = "sex", rho = 0)
  fit <- survival::survdiff(survival::Surv(time, status) ~ sex, data = lung)
  expect_lt(abs(metadata(out)$logrank$statistic - fit$chisq) / fit$chisq, 1e-10)
  expect_error(pob_call("no_such_tool", lung), "pyomics_bridge.tl.no_such_tool is not available")
  expect_error(pob_call("logrank", lung, "time"), "must be named")
  expect_error(pob_call("logrank", lung, time_key = "time", event_key = "event", groupby = "nope"),
               "pyomics_bridge.tl.logrank failed: .*nope")
})

test_that("pob_call on a MultiAssayExperiment returns a MultiAssayExperiment", {
  skip_if_no_pob()
  skip_if_not_installed("MultiAssayExperiment")
  reticulate::py_run_string('
import types, pyomics_bridge
def _tag(mdata, *, key_added="tag"):
    mdata.uns[key_added] = {"mods": list(mdata.mod.keys())}
pyomics_bridge._rtest_mu = types.SimpleNamespace(tag=_tag)
')
  on.exit(reticulate::py_run_string("import pyomics_bridge\ndel pyomics_bridge._rtest_mu"))
  m1 <- matrix(as.numeric(1:6), 2, 3, dimnames = list(c("a", "b"), paste0("s", 1:3)))
  mae <- MultiAssayExperiment::MultiAssayExperiment(
    experiments = MultiAssayExperiment::ExperimentList(list(one = m1)),
    colData = S4Vectors::DataFrame(g = c("x", "y", "x"), row.names = paste0("s", 1:3)),
    metadata = list(keep = TRUE))
  out <- pob_call("_rtest_mu.tag", mae)
  expect_s4_class(out, "MultiAssayExperiment")
  expect_identical(S4Vectors::metadata(out)$tag$mods, "one")
  expect_true(S4Vectors::metadata(out)$keep)
  expect_identical(out[["one"]], m1)
})

test_that("SingleCellExperiment: obsm goes to reducedDims", {
  skip_if_no_pob()
  skip_if_not_installed("SingleCellExperiment")
  define_test_tools(); on.exit(remove_test_tools())
  se <- make_se()
  sce <- as(se, "SingleCellExperiment")
  SingleCellExperiment::reducedDim(sce, "PCA") <- matrix(rnorm(8), 4, 2, dimnames = list(colnames(se), NULL))
  out <- pob_call("_rtest.annotate", sce)
  expect_s4_class(out, "SingleCellExperiment")
  expect_setequal(SingleCellExperiment::reducedDimNames(out), c("PCA", "X_two"))
  expect_equal(unname(SingleCellExperiment::reducedDim(out, "X_two")), unname(t(assay(se, "logc"))[, 1:2]),
               tolerance = 1e-12)
  expect_null(metadata(out)$reducedDims)
  ad <- se_to_anndata(sce)
  expect_true(py_val(ad$obsm$`__contains__`("PCA")))
  back <- anndata_to_se(se_to_anndata(sce), class = "SingleCellExperiment")
  expect_equal(SingleCellExperiment::reducedDim(back, "PCA"), SingleCellExperiment::reducedDim(sce, "PCA"))
})

make_mae <- function() {
  # rna has all four samples under its own column names; prot lacks s4 and uses the primary names.
  rna_counts <- matrix(as.integer(1:20), 5, 4,
                       dimnames = list(paste0("gene", 1:5), paste0("rna_s", 1:4)))
  rna <- SummarizedExperiment(assays = list(counts = rna_counts),
                              colData = S4Vectors::DataFrame(lib_size = c(10, 20, 30, 40),
                                                             row.names = colnames(rna_counts)),
                              rowData = S4Vectors::DataFrame(chr = c("1", "1", "2", "X", NA)))
  prot <- matrix(c(0.5, 1.5, NA, 2, 3, 4.25), 2, 3, dimnames = list(c("P1", "P2"), paste0("s", 1:3)))
  cd <- S4Vectors::DataFrame(age = c(50, 60, NA, 70), arm = factor(c("a", "b", "a", NA), levels = c("b", "a")),
                             row.names = paste0("s", 1:4))
  sm <- S4Vectors::DataFrame(assay = factor(c(rep("rna", 4), rep("prot", 3)), levels = c("rna", "prot")),
                             primary = c(paste0("s", 1:4), paste0("s", 1:3)),
                             colname = c(paste0("rna_s", 1:4), paste0("s", 1:3)))
  MultiAssayExperiment::MultiAssayExperiment(
    experiments = MultiAssayExperiment::ExperimentList(list(rna = rna, prot = prot)),
    colData = cd, sampleMap = sm, metadata = list(study = "demo"))
}

sorted_map <- function(mae) {
  sm <- as.data.frame(MultiAssayExperiment::sampleMap(mae))
  sm$assay <- as.character(sm$assay)
  sm <- sm[order(sm$assay, sm$primary), c("assay", "primary", "colname")]
  rownames(sm) <- NULL
  sm
}

test_that("MultiAssayExperiment -> MuData aligns modalities by primary sample", {
  skip_if_no_pob()
  skip_if_not_installed("MultiAssayExperiment")
  mae <- make_mae()
  md <- mae_to_mudata(mae)
  expect_identical(py_val(md$n_obs), 4L)
  expect_identical(unlist(py_val(reticulate::import_builtins(convert = FALSE)$list(md$mod$keys()))),
                   c("rna", "prot"))
  rna <- reticulate::py_get_item(md$mod, "rna")
  prot <- reticulate::py_get_item(md$mod, "prot")
  expect_identical(unlist(py_val(rna$obs_names$tolist())), paste0("s", 1:4))
  expect_identical(unlist(py_val(prot$obs_names$tolist())), paste0("s", 1:3))
  expect_identical(unlist(py_val(rna$shape)), c(4L, 5L))
  expect_identical(unlist(py_val(prot$shape)), c(3L, 2L))
  arm <- reticulate::py_get_item(md$obs, "arm")
  expect_identical(unlist(py_val(arm$cat$categories$tolist())), c("b", "a"))
  expect_identical(unlist(py_val(md$obs_names$tolist())), paste0("s", 1:4))
})

test_that("MAE -> MuData -> MAE round trip keeps experiments, colData and sampleMap", {
  skip_if_no_pob()
  skip_if_not_installed("MultiAssayExperiment")
  mae <- make_mae()
  mae2 <- mudata_to_mae(mae_to_mudata(mae))
  expect_identical(names(MultiAssayExperiment::experiments(mae2)), c("rna", "prot"))
  rna <- mae[["rna"]]
  rna2 <- mae2[["rna"]]
  expect_s4_class(rna2, "SummarizedExperiment")
  expect_identical(dimnames(rna2), dimnames(rna))
  expect_identical(assay(rna2, "counts"), assay(rna, "counts"))
  expect_identical(colData(rna2), colData(rna))
  expect_identical(rowData(rna2)$chr, rowData(rna)$chr)
  # matrix experiment comes back as a matrix, including the missing value; s4 is absent as before
  expect_true(is.matrix(mae2[["prot"]]))
  expect_identical(mae2[["prot"]], mae[["prot"]])
  cd <- MultiAssayExperiment::colData(mae)
  cd2 <- MultiAssayExperiment::colData(mae2)
  expect_identical(rownames(cd2), rownames(cd))
  expect_identical(cd2$age, cd$age)
  expect_identical(cd2$arm, cd$arm)
  expect_identical(sorted_map(mae2), sorted_map(mae))
  expect_identical(S4Vectors::metadata(mae2)$study, "demo")
})

test_that("MAE with replicate columns for one sample gives a clear error", {
  skip_if_no_pob()
  skip_if_not_installed("MultiAssayExperiment")
  m <- matrix(1, 1, 2, dimnames = list("f", c("a1", "a2")))
  mae <- MultiAssayExperiment::MultiAssayExperiment(
    experiments = MultiAssayExperiment::ExperimentList(list(x = m)),
    colData = S4Vectors::DataFrame(row.names = "p1"),
    sampleMap = S4Vectors::DataFrame(assay = factor(c("x", "x")), primary = c("p1", "p1"), colname = c("a1", "a2")))
  expect_error(mae_to_mudata(mae), "several columns for primary sample\\(s\\) p1")
})

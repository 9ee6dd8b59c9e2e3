#' pyomicsbridge: pyomics_bridge for Bioconductor users
#'
#' Converters between SummarizedExperiment / MultiAssayExperiment and AnnData / MuData
#' (\code{\link{se_to_anndata}}, \code{\link{anndata_to_se}}, \code{\link{mae_to_mudata}},
#' \code{\link{mudata_to_mae}}), survival wrappers (\code{\link{pob_logrank}},
#' \code{\link{pob_kaplan_meier}}) and a generic caller (\code{\link{pob_call}}).
#'
#' Python: set \code{RETICULATE_PYTHON} to the interpreter where pyomics_bridge is installed, before the
#' first call (or \code{options(pyomicsbridge.python = ...)}; default: \code{python3} on the PATH).
#' The package never creates Python environments and never downloads anything.
#' @keywords internal
#' @importFrom methods as is new
#' @importClassesFrom Matrix dgCMatrix
"_PACKAGE"

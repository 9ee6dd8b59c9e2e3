# pob_call(): any pyomics_bridge function on a Bioconductor object.

.as_se_input <- function(x) {
  if (methods::is(x, "SummarizedExperiment")) return(x)
  if (is.matrix(x) || methods::is(x, "Matrix") || methods::is(x, "DelayedArray")) {
    # A bare matrix is taken in the Bioconductor orientation: features x samples.
    return(SummarizedExperiment::SummarizedExperiment(assays = list(X = x)))
  }
  if (is.data.frame(x) || methods::is(x, "DataFrame")) {
    # A table of samples: colData of an experiment with no features.
    return(SummarizedExperiment::SummarizedExperiment(colData = S4Vectors::DataFrame(x, check.names = FALSE)))
  }
  stop(sprintf("x must be a SummarizedExperiment, MultiAssayExperiment, matrix or data.frame, got %s",
               paste(class(x), collapse = "/")), call. = FALSE)
}

# Copy the results held by a samples-only view (no assays) of the AnnData back into x.
.merge_results <- function(x, light, changed) {
  cdl <- SummarizedExperiment::colData(light)
  for (k in names(cdl)) x[[k]] <- cdl[[k]]
  rdl <- SummarizedExperiment::rowData(light, use.names = FALSE)
  if (ncol(rdl)) {
    rd <- SummarizedExperiment::rowData(x, use.names = FALSE)
    for (k in names(rdl)) rd[[k]] <- rdl[[k]]
    SummarizedExperiment::rowData(x) <- rd
  }
  mdl <- S4Vectors::metadata(light)
  md <- S4Vectors::metadata(x)
  for (k in changed) md[[k]] <- mdl[[k]]
  for (slot in c("varm", "obsp", "varp")) {
    for (k in names(mdl[[slot]])) md[[slot]][[k]] <- mdl[[slot]][[k]]
  }
  if (.is_sce(light)) {
    rdims <- SingleCellExperiment::reducedDims(light)
    for (k in names(rdims)) SingleCellExperiment::reducedDim(x, k) <- rdims[[k]]
  } else {
    for (k in names(mdl$reducedDims)) md$reducedDims[[k]] <- mdl$reducedDims[[k]]
  }
  S4Vectors::metadata(x) <- md
  x
}

#' Call a pyomics_bridge function on a Bioconductor object
#'
#' Converts \code{x}, calls \code{pyomics_bridge.tl.<fun>(data, ...)} (or, when \code{fun} contains a dot,
#' \code{pyomics_bridge.<fun>}, e.g. \code{"pp.scale"}), and brings the results back into \code{x}:
#' \itemize{
#'   \item a SummarizedExperiment becomes an AnnData (\code{\link{se_to_anndata}}); a matrix is taken as
#'     features x samples and wrapped in a SummarizedExperiment with one assay "X"; a data.frame is taken as
#'     a table of samples and wrapped as the \code{colData} of a SummarizedExperiment with no features; a
#'     MultiAssayExperiment becomes a MuData (\code{\link{mae_to_mudata}});
#'   \item after the call, new or changed \code{obs} columns -> \code{colData}, \code{var} columns ->
#'     \code{rowData}, \code{obsm} -> \code{reducedDims(x)} for a SingleCellExperiment, else
#'     \code{metadata(x)$reducedDims}, \code{varm} -> matrix columns of \code{rowData} (or
#'     \code{metadata(x)$varm} on a name clash), \code{obsp}/\code{varp} -> \code{metadata(x)$obsp}/\code{$varp},
#'     each new or replaced \code{uns[[key]]} -> \code{metadata(x)[[key]]};
#'   \item assays are not copied back (pyomics_bridge functions never write X or layers) unless
#'     \code{.assays_back = TRUE}, or when the function changed the dimensions or names, in which case the
#'     whole result is converted (\code{\link{anndata_to_se}}) and returned as a new object;
#'   \item a return value that is neither None nor the data object goes to \code{metadata(x)$pob_value};
#'   \item for a MultiAssayExperiment the MuData result is converted back whole (\code{\link{mudata_to_mae}}).
#' }
#' Arguments in \code{...} are Python keyword arguments (converted by reticulate: a length-one vector
#' is a scalar, longer vectors are lists, NULL is None).
#'
#' @param fun Function name in \code{pyomics_bridge.tl}, or a dotted path below \code{pyomics_bridge}.
#' @param x A SummarizedExperiment / SingleCellExperiment, MultiAssayExperiment, matrix or data.frame.
#' @param ... Keyword arguments for the Python function (all named).
#' @param .assay The assay that becomes X (default: the first).
#' @param .assays_back Also copy X and layers back into the assays.
#' @return \code{x} (wrapped as a SummarizedExperiment when it was a matrix or data.frame) with the results.
#' @export
pob_call <- function(fun, x, ..., .assay = NULL, .assays_back = FALSE) {
  if (!is.character(fun) || length(fun) != 1L || !nzchar(fun)) stop("fun must be one function name", call. = FALSE)
  path <- if (grepl(".", fun, fixed = TRUE)) fun else paste0("tl.", fun)
  kwargs <- list(...)
  if (length(kwargs) && (is.null(names(kwargs)) || any(!nzchar(names(kwargs))))) {
    stop("all arguments after x must be named (they are Python keyword arguments)", call. = FALSE)
  }
  if (methods::is(x, "MultiAssayExperiment")) {
    data <- mae_to_mudata(x, assay = .assay)
    out <- .call_python_full(path, data, kwargs)
    holder <- reticulate::py_get_item(out, 0L)
    res <- mudata_to_mae(holder)
    md <- S4Vectors::metadata(x)
    for (k in names(S4Vectors::metadata(res))) md[[k]] <- S4Vectors::metadata(res)[[k]]
    S4Vectors::metadata(res) <- md
    return(.attach_value(res, out))
  }
  x <- .as_se_input(x)
  data <- se_to_anndata(x, assay = .assay)
  out <- .call_python_full(path, data, kwargs)
  holder <- reticulate::py_get_item(out, 0L)
  changed <- as.character(unlist(reticulate::py_to_r(reticulate::py_get_item(out, 2L))))
  cls <- if (.is_sce(x)) "SingleCellExperiment" else "SummarizedExperiment"
  n_obs <- reticulate::py_to_r(holder$n_obs)
  n_vars <- reticulate::py_to_r(holder$n_vars)
  same <- n_obs == ncol(x) && n_vars == nrow(x)
  if (same) {
    light_spec <- .py_wire(.codec()$anndata_spec(holder, with_matrices = FALSE, uns_keys = as.list(changed)))
    light <- .se_from_spec(light_spec, class = cls)
    same <- identical(colnames(light), .dimnames_or_index(colnames(x), ncol(x))) &&
      identical(rownames(light), .dimnames_or_index(rownames(x), nrow(x)))
  }
  if (!same) {
    message("pob_call: ", fun, " changed the observations or variables; returning a new object")
    res <- .se_from_spec(.py_wire(.codec()$anndata_spec(holder)), class = cls)
    return(.attach_value(res, out))
  }
  x <- .merge_results(x, light, changed)
  if (isTRUE(.assays_back)) {
    full <- .se_from_spec(.py_wire(.codec()$anndata_spec(holder, uns_keys = list())), class = cls)
    for (k in SummarizedExperiment::assayNames(full)) {
      m <- SummarizedExperiment::assay(full, k)
      dimnames(m) <- dimnames(x)
      SummarizedExperiment::assay(x, k, withDimnames = FALSE) <- m
    }
  }
  .attach_value(x, out)
}

.call_python_full <- function(path, data, kwargs) {
  f <- .pob_function(path)
  tryCatch(.codec()$call(f, data, kwargs), error = function(e) {
    stop(sprintf("pyomics_bridge.%s failed: %s", path, .py_error_message(e)), call. = FALSE)
  })
}

.attach_value <- function(x, out) {
  result <- reticulate::py_get_item(out, 1L)
  is_container <- reticulate::py_to_r(.codec()$is_anndata(result)) || reticulate::py_to_r(.codec()$is_mudata(result))
  if (!inherits(result, "python.builtin.NoneType") && !is_container) {
    v <- .py_wire(.codec()$encode_value(result))
    .warn_notes(v$notes)
    S4Vectors::metadata(x)$pob_value <- .unwire(v$wire)
  }
  x
}

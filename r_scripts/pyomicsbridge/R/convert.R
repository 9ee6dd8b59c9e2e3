# SummarizedExperiment <-> AnnData and MultiAssayExperiment <-> MuData.
#
# Orientation: Bioconductor containers are features x samples, AnnData is samples x features. The transpose
# happens here and nowhere else (as a reinterpretation of the column-major bytes, so no copy is made).

.is_sce <- function(x) methods::is(x, "SingleCellExperiment")

.dimnames_or_index <- function(names, n) if (is.null(names)) as.character(seq_len(n)) else as.character(names)

.is_matrix_like <- function(x) {
  d <- dim(x)
  !is.null(d) && length(d) == 2L && !is.data.frame(x)
}

# Entries of a list that are matrices with n rows (reducedDims, obsp, ...); the rest are returned apart.
.split_matrices <- function(lst, n) {
  keep <- list(); rest <- list()
  for (k in names(lst)) {
    v <- lst[[k]]
    if (.is_numeric_matrix(v) && nrow(v) == n) keep[[k]] <- v else rest[[k]] <- v
  }
  list(matrices = keep, rest = rest)
}

.assay_names <- function(se) {
  n <- length(SummarizedExperiment::assays(se, withDimnames = FALSE))
  if (n == 0L) return(character(0))
  an <- SummarizedExperiment::assayNames(se)
  if (is.null(an)) an <- rep("", n)
  empty <- !nzchar(an) | is.na(an)
  an[empty] <- paste0("assay", seq_len(n))[empty]
  make.unique(an)
}

# The description of one SummarizedExperiment that pyomicsbridge_rcodec.build_anndata() turns into an
# AnnData. obs_names replaces colnames (MuData modalities use the primary sample names).
.se_spec <- function(se, assay = NULL, obs_names = NULL, extra_obs = NULL, r_class = NULL, what = "se") {
  cn <- if (is.null(obs_names)) .dimnames_or_index(colnames(se), ncol(se)) else obs_names
  rn <- .dimnames_or_index(rownames(se), nrow(se))
  an <- .assay_names(se)
  x_idx <- NULL
  if (length(an)) {
    if (is.null(assay)) {
      x_idx <- 1L
    } else if (is.character(assay) && length(assay) == 1L) {
      x_idx <- match(assay, an)
      if (is.na(x_idx)) {
        stop(sprintf("assay '%s' not found in %s; available assays: %s", assay, what,
                     paste(an, collapse = ", ")), call. = FALSE)
      }
    } else if (is.numeric(assay) && length(assay) == 1L && assay >= 1 && assay <= length(an)) {
      x_idx <- as.integer(assay)
    } else {
      stop("assay must be one assay name or index", call. = FALSE)
    }
  } else if (!is.null(assay)) {
    stop(sprintf("%s has no assays, so assay = '%s' cannot be used", what, assay), call. = FALSE)
  }
  matrices <- lapply(seq_along(an), function(k) {
    .wire_matrix(SummarizedExperiment::assay(se, k, withDimnames = FALSE), transpose = TRUE,
                 sprintf("assay '%s'", an[[k]]))
  })
  names(matrices) <- an
  layer_names <- setdiff(an, an[x_idx])

  coldata <- SummarizedExperiment::colData(se)
  if (!is.null(extra_obs)) for (k in names(extra_obs)) coldata[[k]] <- extra_obs[[k]]
  obs <- .wire_df(coldata, "colData", index = cn, split_matrices = TRUE)
  var <- .wire_df(SummarizedExperiment::rowData(se, use.names = FALSE), "rowData", index = rn,
                  split_matrices = TRUE)
  obsm <- attr(obs, "matrices"); attr(obs, "matrices") <- NULL
  varm <- attr(var, "matrices"); attr(var, "matrices") <- NULL

  md <- S4Vectors::metadata(se)
  if (.is_sce(se)) {
    rd <- as.list(SingleCellExperiment::reducedDims(se))
    for (k in names(rd)) obsm[[k]] <- rd[[k]]
    if (length(SingleCellExperiment::altExpNames(se))) {
      warning("altExps of the SingleCellExperiment are not converted", call. = FALSE)
    }
  }
  slots <- list(obsm = obsm, varm = varm, obsp = list(), varp = list())
  for (slot in c("reducedDims", "obsm", "varm", "obsp", "varp")) {
    if (is.null(md[[slot]]) || !is.list(md[[slot]])) next
    n <- if (slot %in% c("varm", "varp")) nrow(se) else ncol(se)
    parts <- .split_matrices(md[[slot]], n)
    if (length(parts$rest)) {
      warning(sprintf("metadata(%s)$%s: entries %s are not matrices with %d rows and stay in uns", what,
                      slot, paste(names(parts$rest), collapse = ", "), n), call. = FALSE)
    }
    target <- if (slot == "reducedDims") "obsm" else slot
    slots[[target]] <- c(slots[[target]], parts$matrices)
    md[[slot]] <- if (length(parts$rest)) parts$rest else NULL
  }
  list(
    X = if (is.null(x_idx)) NULL else matrices[[x_idx]],
    layers = if (length(layer_names)) list(t = "list", names = .wire_chr(layer_names),
                                           items = unname(matrices[layer_names])) else NULL,
    obs = obs, var = var,
    obsm = .wire_matrix_list(slots$obsm, "obsm"), varm = .wire_matrix_list(slots$varm, "varm"),
    obsp = .wire_matrix_list(slots$obsp, "obsp"), varp = .wire_matrix_list(slots$varp, "varp"),
    uns = if (length(md)) .wire_value(md, sprintf("metadata(%s)", what)) else NULL,
    x_name = if (is.null(x_idx)) NULL else an[[x_idx]],
    assay_names = if (length(an)) .wire_chr(an) else NULL,
    r_class = r_class
  )
}

.check_se <- function(se, arg = "se") {
  if (!methods::is(se, "SummarizedExperiment")) {
    stop(sprintf("%s must be a SummarizedExperiment (or a subclass), got %s", arg,
                 paste(class(se), collapse = "/")), call. = FALSE)
  }
}

#' Convert a SummarizedExperiment to an AnnData
#'
#' The SummarizedExperiment (features x samples) becomes an AnnData (samples x features): the chosen assay
#' (default: the first) is \code{X}, the other assays are \code{layers}; \code{colData} -> \code{obs}
#' (factors -> pandas Categorical with the same levels, \code{NA} kept), \code{rowData} -> \code{var},
#' colnames/rownames -> \code{obs_names}/\code{var_names}, \code{dgCMatrix} assays -> scipy sparse
#' matrices, \code{reducedDims} (SingleCellExperiment) or \code{metadata(se)$reducedDims} and matrix
#' columns of colData -> \code{obsm}, matrix columns of rowData -> \code{varm}, other \code{metadata} ->
#' \code{uns}. The assay names are kept in \code{uns$pyomicsbridge_r} so that \code{anndata_to_se} can
#' restore them.
#'
#' @param se A SummarizedExperiment (RangedSummarizedExperiment and SingleCellExperiment too).
#' @param assay Name or index of the assay that becomes \code{X} (default: the first).
#' @return A Python AnnData (reticulate object, not converted).
#' @export
se_to_anndata <- function(se, assay = NULL) {
  .check_se(se)
  .codec()$build_anndata(.se_spec(se, assay = assay))
}

.with_dimnames <- function(m, rn, cn) {
  dimnames(m) <- list(rn, cn)
  m
}

# A SummarizedExperiment (or SingleCellExperiment) from pyomicsbridge_rcodec.anndata_spec().
.se_from_spec <- function(spec, X_name = NULL, class = "SummarizedExperiment") {
  .warn_notes(spec$notes)
  cd <- .unwire_DataFrame(spec$obs)
  rd <- .unwire_DataFrame(spec$var)
  cn <- rownames(cd); rn <- rownames(rd)
  if (is.null(cn)) cn <- character(0)
  if (is.null(rn)) rn <- character(0)
  x_name <- if (!is.null(X_name)) X_name else if (!is.null(spec$x_name)) spec$x_name else "X"
  assays <- list()
  if (!is.null(spec$X)) assays[[x_name]] <- .with_dimnames(.unwire(spec$X), rn, cn)
  for (k in names(spec$layers)) {
    if (k %in% names(assays)) {
      warning(sprintf("layer '%s' has the name given to X and was dropped; pass another X_name", k),
              call. = FALSE)
      next
    }
    assays[[k]] <- .with_dimnames(.unwire(spec$layers[[k]]), rn, cn)
  }
  an <- if (is.null(spec$assay_names)) NULL else .unwire_chr(spec$assay_names)
  if (is.null(X_name) && !is.null(an) && setequal(an, names(assays)) && length(an) == length(assays)) {
    assays <- assays[an]
  }
  obsm <- lapply(spec$obsm, function(w) {
    m <- .unwire(w)
    rownames(m) <- cn
    m
  })
  varm <- lapply(spec$varm, .unwire)
  md <- if (is.null(spec$uns)) list() else .unwire(spec$uns)
  if (is.null(md)) md <- list()
  for (k in names(varm)) {
    m <- varm[[k]]
    if (!(k %in% names(rd)) && .is_matrix_like(m)) {
      rownames(m) <- rn
      rd[[k]] <- m
    } else {
      md$varm[[k]] <- m
    }
  }
  if (length(spec$obsp)) md$obsp <- lapply(spec$obsp, .unwire)
  if (length(spec$varp)) md$varp <- lapply(spec$varp, .unwire)
  sce <- identical(class, "SingleCellExperiment")
  if (sce && !requireNamespace("SingleCellExperiment", quietly = TRUE)) {
    stop("class = 'SingleCellExperiment' needs the SingleCellExperiment package", call. = FALSE)
  }
  if (!sce && length(obsm)) md$reducedDims <- obsm
  args <- list(assays = assays, colData = cd, rowData = rd, metadata = md)
  if (sce) {
    args$reducedDims <- obsm
    do.call(SingleCellExperiment::SingleCellExperiment, args)
  } else {
    do.call(SummarizedExperiment::SummarizedExperiment, args)
  }
}

.check_anndata <- function(adata, arg = "adata") {
  if (!inherits(adata, "python.builtin.object") || !reticulate::py_to_r(.codec()$is_anndata(adata))) {
    stop(sprintf("%s must be a Python AnnData object", arg), call. = FALSE)
  }
}

#' Convert an AnnData to a SummarizedExperiment
#'
#' The inverse of \code{\link{se_to_anndata}}: \code{X} and \code{layers} -> assays (transposed to
#' features x samples; scipy sparse -> \code{dgCMatrix}), \code{obs} -> \code{colData} (Categorical ->
#' factor, nullable integer/boolean with missing values -> integer/logical with \code{NA}), \code{var} ->
#' \code{rowData}, \code{obsm} -> \code{reducedDims} (SingleCellExperiment) or
#' \code{metadata(se)$reducedDims}, \code{varm} -> matrix columns of \code{rowData} (or
#' \code{metadata(se)$varm} on a name clash), \code{obsp}/\code{varp} -> \code{metadata(se)$obsp}/\code{$varp},
#' \code{uns[[key]]} -> \code{metadata(se)[[key]]}.
#'
#' @param adata A Python AnnData (reticulate object).
#' @param X_name Assay name for \code{X}; default: the name recorded by \code{se_to_anndata}, else "X".
#' @param class "SummarizedExperiment" (default) or "SingleCellExperiment".
#' @return A SummarizedExperiment or SingleCellExperiment.
#' @export
anndata_to_se <- function(adata, X_name = NULL, class = c("SummarizedExperiment", "SingleCellExperiment")) {
  class <- match.arg(class)
  .check_anndata(adata)
  spec <- .py_wire(.codec()$anndata_spec(adata))
  .se_from_spec(spec, X_name = X_name, class = class)
}

.require_mae <- function() {
  if (!requireNamespace("MultiAssayExperiment", quietly = TRUE)) {
    stop("the MultiAssayExperiment package is needed (Debian: r-bioc-multiassayexperiment)", call. = FALSE)
  }
}

#' Convert a MultiAssayExperiment to a MuData
#'
#' One modality per experiment, named like the experiment. Each experiment becomes an AnnData as in
#' \code{\link{se_to_anndata}} whose \code{obs_names} are the \emph{primary} sample names (from
#' \code{sampleMap}), so that MuData aligns modalities by sample; when an experiment's column names differ
#' from the primary names they are kept in the modality's \code{obs$"_mae_colname"}. \code{colData(mae)}
#' becomes the global \code{mdata.obs} (samples present in no experiment are dropped with a warning),
#' \code{metadata(mae)} -> \code{mdata.uns}. Matrix experiments are stored as one-assay AnnData and come
#' back as matrices.
#'
#' @param mae A MultiAssayExperiment.
#' @param assay Passed to \code{se_to_anndata} for every experiment (NULL: the first assay of each).
#' @return A Python MuData (reticulate object).
#' @export
mae_to_mudata <- function(mae, assay = NULL) {
  .require_mae()
  if (!methods::is(mae, "MultiAssayExperiment")) {
    stop("mae must be a MultiAssayExperiment", call. = FALSE)
  }
  exps <- MultiAssayExperiment::experiments(mae)
  sm <- MultiAssayExperiment::sampleMap(mae)
  cd <- MultiAssayExperiment::colData(mae)
  names_ <- names(exps)
  if (!length(names_)) stop("mae has no experiments", call. = FALSE)
  mods <- list(); used <- character(0)
  for (nm in names_) {
    e <- exps[[nm]]
    r_class <- NULL
    if (is.matrix(e) || .is_sparse(e)) {
      e <- SummarizedExperiment::SummarizedExperiment(assays = list(X = e))
      r_class <- "matrix"
    } else if (!methods::is(e, "SummarizedExperiment")) {
      stop(sprintf("experiment '%s' is a %s; only SummarizedExperiment-like and matrix experiments are supported",
                   nm, class(e)[[1L]]), call. = FALSE)
    }
    smx <- sm[sm$assay == nm, , drop = FALSE]
    cols <- colnames(e)
    primary <- as.character(smx$primary[match(cols, smx$colname)])
    if (anyNA(primary)) {
      stop(sprintf("experiment '%s': columns %s are not in sampleMap(mae)", nm,
                   paste(utils::head(cols[is.na(primary)], 5), collapse = ", ")), call. = FALSE)
    }
    if (anyDuplicated(primary)) {
      dup <- unique(primary[duplicated(primary)])
      stop(sprintf(paste0("experiment '%s' has several columns for primary sample(s) %s; MuData holds one ",
                          "observation per sample and modality (merge or rename the replicates first)"),
                   nm, paste(utils::head(dup, 5), collapse = ", ")), call. = FALSE)
    }
    extra <- if (!identical(cols, primary)) list(`_mae_colname` = cols) else NULL
    mods[[nm]] <- .se_spec(e, assay = assay, obs_names = primary, extra_obs = extra, r_class = r_class,
                           what = sprintf("experiment '%s'", nm))
    used <- union(used, primary)
  }
  unused <- setdiff(rownames(cd), used)
  if (length(unused)) {
    warning(sprintf("colData(mae) rows without data in any experiment are not kept in MuData: %s",
                    paste(utils::head(unused, 10), collapse = ", ")), call. = FALSE)
  }
  md <- S4Vectors::metadata(mae)
  spec <- list(names = .wire_chr(names_), mods = unname(mods),
               obs = .wire_df(cd, "colData(mae)", index = rownames(cd)),
               uns = if (length(md)) .wire_value(md, "metadata(mae)") else NULL)
  .codec()$build_mudata(spec)
}

#' Convert a MuData to a MultiAssayExperiment
#'
#' The inverse of \code{\link{mae_to_mudata}}: each modality becomes an experiment (via
#' \code{\link{anndata_to_se}}), the global \code{obs} (without the \code{"<modality>:"} columns MuData
#' copies from modalities) becomes \code{colData}, the \code{sampleMap} links each modality's
#' \code{obs_names} (primary) to its column names (\code{obs$"_mae_colname"} when present, else the
#' \code{obs_names}), \code{uns} -> \code{metadata}.
#'
#' @param mdata A Python MuData (reticulate object).
#' @return A MultiAssayExperiment.
#' @export
mudata_to_mae <- function(mdata) {
  .require_mae()
  if (!inherits(mdata, "python.builtin.object") || !reticulate::py_to_r(.codec()$is_mudata(mdata))) {
    stop("mdata must be a Python MuData object", call. = FALSE)
  }
  spec <- .py_wire(.codec()$mudata_spec(mdata))
  .warn_notes(spec$notes)
  names_ <- .unwire_chr(spec$names)
  exps <- list(); maps <- list()
  for (k in seq_along(names_)) {
    nm <- names_[[k]]
    se <- .se_from_spec(spec$mods[[k]])
    primary <- colnames(se)
    cols <- primary
    if ("_mae_colname" %in% names(SummarizedExperiment::colData(se))) {
      cols <- as.character(SummarizedExperiment::colData(se)[["_mae_colname"]])
      SummarizedExperiment::colData(se)[["_mae_colname"]] <- NULL
      colnames(se) <- cols
    }
    if (identical(spec$mods[[k]]$r_class, "matrix")) {
      se <- SummarizedExperiment::assay(se, 1L)
    }
    exps[[nm]] <- se
    maps[[nm]] <- S4Vectors::DataFrame(assay = rep(nm, length(cols)), primary = primary, colname = cols)
  }
  sm <- do.call(rbind, unname(maps))
  sm$assay <- factor(sm$assay, levels = names_)
  cd <- .unwire_DataFrame(spec$obs)
  md <- if (is.null(spec$uns)) list() else .unwire(spec$uns)
  MultiAssayExperiment::MultiAssayExperiment(
    experiments = MultiAssayExperiment::ExperimentList(exps), colData = cd, sampleMap = sm,
    metadata = if (is.null(md)) list() else md
  )
}

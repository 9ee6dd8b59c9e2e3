# Survival wrappers: pyomics_bridge.tl.logrank and pyomics_bridge.tl.kaplan_meier from R.

# The sample table of x (colData for a SummarizedExperiment, x itself for a data.frame), checked to hold
# the named columns, as an obs-only AnnData (n_obs x 0) with just those columns.
.obs_anndata <- function(x, columns, fun) {
  if (methods::is(x, "SummarizedExperiment")) {
    df <- SummarizedExperiment::colData(x)
    where <- "colData(x)"
    index <- .dimnames_or_index(colnames(x), ncol(x))
  } else if (is.data.frame(x) || methods::is(x, "DataFrame")) {
    df <- x
    where <- "the data frame x"
    index <- if (.has_auto_rownames(x)) as.character(seq_len(nrow(x))) else rownames(x)
  } else {
    stop(sprintf("%s: x must be a SummarizedExperiment or a data.frame, got %s", fun,
                 paste(class(x), collapse = "/")), call. = FALSE)
  }
  for (arg in names(columns)) {
    col <- columns[[arg]]
    if (is.null(col)) next
    if (!is.character(col) || length(col) != 1L || is.na(col) || !nzchar(col)) {
      stop(sprintf("%s: %s must be one column name (a string)", fun, arg), call. = FALSE)
    }
    if (!(col %in% names(df))) {
      stop(sprintf("%s: column '%s' (%s = \"%s\") not found in %s; available columns: %s", fun, col, arg,
                   col, where, paste(utils::head(names(df), 30), collapse = ", ")), call. = FALSE)
    }
  }
  keep <- unique(unlist(columns, use.names = FALSE))
  sub <- df[, keep, drop = FALSE]
  g <- columns[["group"]]
  if (!is.null(g) && !is.factor(sub[[g]])) {
    # Groups as R's survival package sees them: factor(x), i.e. sorted values labelled as.character(x)
    # ("1", not the "1.0" a float column would give in Python).
    sub[[g]] <- factor(sub[[g]])
  }
  empty <- list(t = "df", n = 0L, index = .wire_chr(character(0)), names = .wire_chr(character(0)),
                columns = list())
  .codec()$build_anndata(list(obs = .wire_df(sub, where, index = index), var = empty))
}

.check_backend <- function(backend, fun) {
  if (!is.character(backend) || length(backend) != 1L || !(backend %in% c("python", "r"))) {
    stop(sprintf("%s: backend must be \"python\" or \"r\"", fun), call. = FALSE)
  }
  if (backend == "r") {
    # backend = "r" makes pyomics_bridge start an embedded R through rpy2, inside this R process.
    stop(sprintf(paste0("%s: backend = \"r\" cannot be used from R (it embeds R through rpy2); ",
                        "call the survival package directly instead"), fun), call. = FALSE)
  }
}

# Call a pyomics_bridge function, turning Python errors into R errors that name the function.
.call_python <- function(path, adata, kwargs) {
  f <- .pob_function(path)
  tryCatch(do.call(reticulate::py_call, c(list(f, adata), kwargs)), error = function(e) {
    stop(sprintf("pyomics_bridge.%s failed: %s", path, .py_error_message(e)), call. = FALSE)
  })
}

# adata.uns[[key]] as an R value.
.uns_value <- function(adata, key) {
  out <- .py_wire(.codec()$uns_entry(adata, key))
  .warn_notes(out$notes)
  if (!isTRUE(out$found)) stop(sprintf("the Python function wrote no uns['%s']", key), call. = FALSE)
  .unwire(out$wire)
}

.attach_result <- function(x, key, value) {
  if (methods::is(x, "SummarizedExperiment")) {
    S4Vectors::metadata(x)[[key]] <- value
    return(x)
  }
  value
}

#' Log-rank test (pyomics_bridge.tl.logrank) from R
#'
#' Calls \code{pyomics_bridge.tl.logrank(adata, time_key = time, event_key = event, groupby = group,
#' rho = rho, backend = backend, key_added = key_added)} on the sample table of \code{x}. \code{rho = 0} is
#' the log-rank test, \code{rho = 1} the Peto & Peto modification of the Gehan-Wilcoxon test, as in
#' \code{survival::survdiff}.
#'
#' @param x A SummarizedExperiment (the columns are looked up in \code{colData(x)}) or a data.frame.
#' @param time,event Column names: follow-up time (>= 0) and event indicator (0/1 or logical; 1/TRUE =
#'   event; recode survival's 1/2 status first, e.g. \code{status == 2}). Missing values are an error.
#' @param group Column name of the grouping variable; a non-factor column is grouped as by survdiff,
#'   i.e. as \code{factor(x)}.
#' @param rho Fleming-Harrington weight exponent.
#' @param backend Only "python" from R: pyomics_bridge's "r" backend embeds R through rpy2, which cannot
#'   run inside an R process (call survival::survdiff directly instead).
#' @param key_added Name of the result in \code{uns} and in \code{metadata(x)}.
#' @return For a SummarizedExperiment, \code{x} with \code{metadata(x)[[key_added]]} set; for a data.frame,
#'   the result itself: a list with \code{statistic} (chi-squared), \code{df}, \code{pvalue}, \code{table}
#'   (a data.frame, one row per group named by the group label, columns \code{n}, \code{observed},
#'   \code{expected}, \code{var}) and \code{params}/\code{versions} as recorded by pyomics_bridge.
#' @export
pob_logrank <- function(x, time, event, group, rho = 0, backend = "python", key_added = "logrank") {
  .check_backend(backend, "pob_logrank")
  adata <- .obs_anndata(x, list(time = time, event = event, group = group), "pob_logrank")
  .call_python("tl.logrank", adata, list(time_key = time, event_key = event, groupby = group,
                                         rho = as.numeric(rho), backend = backend, key_added = key_added))
  res <- .uns_value(adata, key_added)
  .attach_result(x, key_added, res)
}

#' Kaplan-Meier curves (pyomics_bridge.tl.kaplan_meier) from R
#'
#' Calls \code{pyomics_bridge.tl.kaplan_meier(adata, time_key = time, event_key = event, groupby = group,
#' conf_type = conf_type, conf_level = conf_level, backend = backend, key_added = key_added)} on the sample
#' table of \code{x}. As in \code{survival::survfit}, \code{std_err} is the standard error of the
#' cumulative hazard, and the table has one row per distinct time of each group.
#'
#' @inheritParams pob_logrank
#' @param group Grouping column, or NULL for one curve.
#' @param conf_type Confidence interval type, as in \code{survival::survfit} ("log", "log-log", "plain", ...).
#' @param conf_level Confidence level.
#' @return For a SummarizedExperiment, \code{x} with \code{metadata(x)[[key_added]]} set; for a data.frame,
#'   the result: a list with \code{table} (columns group, time, n_risk, n_event, n_censor, survival,
#'   std_err, lower, upper), \code{median} (a data.frame, one row per group) and \code{params}/\code{versions}.
#' @export
pob_kaplan_meier <- function(x, time, event, group = NULL, conf_type = "log", conf_level = 0.95,
                             backend = "python", key_added = "kaplan_meier") {
  .check_backend(backend, "pob_kaplan_meier")
  adata <- .obs_anndata(x, list(time = time, event = event, group = group), "pob_kaplan_meier")
  .call_python("tl.kaplan_meier", adata, list(time_key = time, event_key = event, groupby = group,
                                              conf_type = conf_type, conf_level = as.numeric(conf_level),
                                              backend = backend, key_added = key_added))
  res <- .uns_value(adata, key_added)
  # The group column comes as strings; as a factor it keeps the curve order (that of the median table).
  if (is.data.frame(res$table) && is.character(res$table$group) && is.data.frame(res$median) &&
      setequal(unique(res$table$group), rownames(res$median))) {
    res$table$group <- factor(res$table$group, levels = rownames(res$median))
  }
  .attach_result(x, key_added, res)
}

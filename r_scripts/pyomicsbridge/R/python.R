# Python selection, the cached pyomics_bridge module and the converter helpers shipped in inst/python.

.pob_env <- new.env(parent = emptyenv())

# Pick the Python interpreter once, before reticulate starts one, without ever creating environments or
# downloading anything: RETICULATE_PYTHON when set (reticulate reads it itself), else
# options(pyomicsbridge.python = "/path/to/python"), else python3 on the PATH.
.pob_init_python <- function() {
  if (!nzchar(Sys.getenv("RETICULATE_MINICONDA_ENABLED"))) {
    # reticulate < 1.41 offers to install Miniconda when it finds no Python; never do that from here.
    Sys.setenv(RETICULATE_MINICONDA_ENABLED = "FALSE")
  }
  if (reticulate::py_available(initialize = FALSE)) {
    return(invisible(TRUE))
  }
  if (nzchar(Sys.getenv("RETICULATE_PYTHON"))) {
    return(invisible(TRUE))
  }
  python <- getOption("pyomicsbridge.python", default = "")
  if (!nzchar(python)) python <- Sys.which("python3")
  if (nzchar(python)) {
    # An explicit interpreter also keeps reticulate >= 1.41 from building a managed (uv) environment.
    reticulate::use_python(python, required = TRUE)
  }
  invisible(TRUE)
}

.codec_dir <- function() {
  dir <- getOption("pyomicsbridge.codec_dir", default = "")
  if (nzchar(dir)) return(dir)
  dir <- system.file("python", package = "pyomicsbridge")
  if (!nzchar(dir)) {
    stop("cannot find the package's Python helpers (inst/python); install the package with ",
         "R CMD INSTALL, or set options(pyomicsbridge.codec_dir = \"<repo>/r_scripts/pyomicsbridge/inst/python\")",
         call. = FALSE)
  }
  dir
}

# The converter helpers (inst/python/pyomicsbridge_rcodec.py), imported once.
.codec <- function() {
  if (is.null(.pob_env$codec)) {
    .pob_init_python()
    .pob_env$codec <- reticulate::import_from_path("pyomicsbridge_rcodec", path = .codec_dir(),
                                                   convert = FALSE)
  }
  .pob_env$codec
}

#' Is pyomics_bridge usable from this R session?
#'
#' Starts Python if needed (see \code{RETICULATE_PYTHON}) and checks that \code{pyomics_bridge} and the
#' libraries the converters need (numpy, pandas, scipy, anndata, mudata) import. Never installs anything.
#'
#' @param quiet When FALSE, the reason for a FALSE answer is given as a message.
#' @return TRUE or FALSE.
#' @export
pob_available <- function(quiet = TRUE) {
  ok <- tryCatch({
    .pob_init_python()
    if (!reticulate::py_available(initialize = TRUE)) stop("no Python interpreter found")
    for (m in c("numpy", "pandas", "scipy", "anndata", "mudata", "pyomics_bridge")) {
      if (!reticulate::py_module_available(m)) stop("Python module '", m, "' is not importable from ",
                                                    reticulate::py_config()$python)
    }
    pob_module()
    .codec()
    TRUE
  }, error = function(e) {
    if (!quiet) message("pyomics_bridge is not available: ", conditionMessage(e))
    FALSE
  })
  isTRUE(ok)
}

#' The Python module pyomics_bridge
#'
#' \code{reticulate::import("pyomics_bridge", convert = FALSE)}, imported on first use and cached, so
#' results stay Python objects until converted explicitly.
#'
#' @return A reticulate Python module object.
#' @export
pob_module <- function() {
  if (is.null(.pob_env$module)) {
    .pob_init_python()
    .pob_env$module <- reticulate::import("pyomics_bridge", convert = FALSE)
  }
  .pob_env$module
}

# A Python function of pyomics_bridge by dotted path ("tl.logrank"), with an R error naming what is missing.
.pob_function <- function(path) {
  tryCatch(.codec()$resolve(pob_module(), path), error = function(e) {
    stop(sprintf("pyomics_bridge.%s is not available in the installed pyomics_bridge (%s)", path,
                 .py_error_message(e)), call. = FALSE)
  })
}

.py_error_message <- function(e) {
  msg <- conditionMessage(e)
  sub("\n*Run `reticulate::py_last_error\\(\\)` for details\\.?\\s*$", "", msg)
}

# Convert a Python object made of dict/list/str/int/float/bool/None/bytearray (a "wire") into R.
.py_wire <- function(x) reticulate::py_to_r(x)

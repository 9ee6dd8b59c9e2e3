# R half of the converters: R objects <-> "wires" (lists that reticulate turns into Python dicts, lists,
# str, int, float, bool, None and bytearray without numpy). Numeric payloads travel as raw little-endian
# bytes; inst/python/pyomicsbridge_rcodec.py describes the format and does the Python half. This avoids
# reticulate's numpy conversion, which needs reticulate and numpy built for the same numpy ABI (Debian 12's
# reticulate 1.28 fails with numpy 2) and loses NA in vectors.

.sep <- "\036"  # ASCII record separator: joins string vectors into one Python str

.raw_double <- function(x) writeBin(as.double(x), raw(), size = 8L, endian = "little")
.raw_int <- function(x) writeBin(as.integer(x), raw(), size = 4L, endian = "little")

.check_bytes <- function(n, size, what) {
  if (as.double(n) * size > .Machine$integer.max) {
    stop(sprintf("%s is too large to transfer (%.0f bytes; the limit is 2^31-1 bytes per array)", what,
                 as.double(n) * size), call. = FALSE)
  }
}

# ---------------------------------------------------------------------------------------------- encoding
.wire_chr <- function(x) {
  x <- as.character(x)
  n <- length(x)
  na <- which(is.na(x)) - 1L
  y <- enc2utf8(x)
  y[is.na(y)] <- ""
  data <- if (n > 0L && any(grepl(.sep, y, fixed = TRUE))) as.list(y) else paste(y, collapse = .sep)
  list(t = "vec", type = "character", n = n, data = data,
       na = if (length(na)) .raw_int(na) else NULL)
}

# An atomic vector (or factor, Date, POSIXct, Rle) as a vector wire; NULL when the type is unsupported.
.wire_vec <- function(x, scalar = FALSE, keep_names = FALSE) {
  if (methods::is(x, "Rle")) x <- as.vector(x)
  nm <- names(x)
  n <- length(x)
  w <- if (is.factor(x)) {
    list(t = "vec", type = "factor", n = n, data = .raw_int(unclass(x)),
         levels = .wire_chr(levels(x)), ordered = is.ordered(x))
  } else if (inherits(x, "Date")) {
    list(t = "vec", type = "Date", n = n, data = .raw_double(unclass(x)))
  } else if (inherits(x, "POSIXct")) {
    list(t = "vec", type = "POSIXct", n = n, data = .raw_double(unclass(x)))
  } else if (is.logical(x)) {
    list(t = "vec", type = "logical", n = n, data = .raw_int(x))
  } else if (is.integer(x)) {
    list(t = "vec", type = "integer", n = n, data = .raw_int(x))
  } else if (is.double(x)) {
    .check_bytes(n, 8, "a vector")
    list(t = "vec", type = "double", n = n, data = .raw_double(x))
  } else if (is.character(x)) {
    .wire_chr(x)
  } else {
    return(NULL)
  }
  if (scalar) w$scalar <- TRUE
  if (keep_names && !is.null(nm)) w$names <- .wire_chr(nm)
  w
}

# A dense matrix as a matrix wire. transpose = TRUE: the Python side sees t(x) (features x samples in R
# become samples x features in Python) without any data movement.
.wire_dense <- function(x, transpose, what) {
  if (!is.matrix(x)) x <- as.matrix(x)
  d <- dim(x)
  if (is.logical(x) && !anyNA(x)) {
    type <- "logical"; data <- .raw_int(x)
  } else if (is.integer(x) && !anyNA(x)) {
    type <- "integer"; data <- .raw_int(x)
  } else if (is.numeric(x) || is.logical(x)) {
    # integer/logical matrices with NA become double (NaN) in Python: numpy has no integer NA.
    .check_bytes(length(x), 8, what)
    type <- "double"; data <- .raw_double(x)
  } else {
    stop(sprintf("%s: a %s matrix cannot be converted (numeric or logical only)", what, typeof(x)),
         call. = FALSE)
  }
  list(t = "mat", type = type, dim = as.list(as.integer(d)), data = data, transpose = transpose)
}

.as_dgC <- function(x) {
  if (methods::is(x, "dgCMatrix")) return(x)
  x <- methods::as(x, "CsparseMatrix")
  x <- methods::as(x, "generalMatrix")
  methods::as(x, "dMatrix")
}

.wire_sparse <- function(x, transpose, what) {
  x <- .as_dgC(x)
  .check_bytes(length(x@x), 8, what)
  list(t = "sparse", dim = as.list(as.integer(dim(x))), i = .raw_int(x@i), p = .raw_int(x@p),
       x = .raw_double(x@x), transpose = transpose)
}

.is_sparse <- function(x) methods::is(x, "sparseMatrix")

# A two-dimensional numeric/logical object that .wire_matrix() can send (matrix, sparse Matrix, data.frame
# of numbers); a Surv object or a nested DataFrame is not one.
.is_numeric_matrix <- function(x) {
  if (inherits(x, "Surv")) return(FALSE)
  if (.is_sparse(x)) return(TRUE)
  if (is.matrix(x)) return(is.numeric(x) || is.logical(x))
  if (is.data.frame(x)) return(ncol(x) > 0L && all(vapply(x, function(v) is.numeric(v) || is.logical(v), TRUE)))
  FALSE
}

# Any matrix-like object (base matrix, Matrix sparse or dense, DelayedArray, data.frame of numbers).
.wire_matrix <- function(x, transpose, what) {
  if (.is_sparse(x)) return(.wire_sparse(x, transpose, what))
  if (is.data.frame(x) || methods::is(x, "DataFrame")) x <- as.matrix(as.data.frame(x))
  .wire_dense(as.matrix(x), transpose, what)
}

# A data.frame / DataFrame as a df wire. Matrix-like columns are returned separately (they go to
# obsm/varm), unsupported columns are dropped with a warning.
.wire_df <- function(df, what, index = NULL, split_matrices = FALSE) {
  n <- nrow(df)
  cols <- list(); nms <- character(0); mats <- list()
  for (nm in names(df)) {
    col <- df[[nm]]
    if (split_matrices && .is_numeric_matrix(col)) {
      mats[[nm]] <- col
      next
    }
    w <- if (is.null(dim(col))) .wire_vec(col) else NULL
    if (is.null(w)) {
      warning(sprintf("%s column '%s' (class %s) cannot be converted and was dropped", what, nm,
                      paste(class(col), collapse = "/")), call. = FALSE)
      next
    }
    cols[[length(cols) + 1L]] <- w
    nms <- c(nms, nm)
  }
  out <- list(t = "df", n = as.integer(n), index = if (is.null(index)) NULL else .wire_chr(index),
              names = .wire_chr(nms), columns = cols)
  if (split_matrices) attr(out, "matrices") <- mats
  out
}

.has_auto_rownames <- function(df) {
  if (methods::is(df, "DataFrame")) return(is.null(rownames(df)))
  .row_names_info(df) < 0L
}

# Any R value (a metadata() entry) as a wire; NULL (after a warning) when it cannot be converted.
.wire_value <- function(x, what) {
  if (is.null(x)) return(list(t = "null"))
  if (is.data.frame(x) || methods::is(x, "DataFrame")) {
    return(.wire_df(x, what, index = if (.has_auto_rownames(x)) NULL else rownames(x)))
  }
  if (.is_sparse(x)) return(.wire_sparse(x, transpose = FALSE, what))
  if (is.matrix(x) && (is.numeric(x) || is.logical(x))) return(.wire_dense(x, transpose = FALSE, what))
  if (is.atomic(x) && is.null(dim(x)) || is.factor(x) || methods::is(x, "Rle")) {
    w <- .wire_vec(x, scalar = length(x) == 1L && is.null(names(x)), keep_names = TRUE)
    if (!is.null(w)) return(w)
  }
  if (is.list(x) && !is.object(x) || methods::is(x, "SimpleList")) {
    x <- as.list(x)
    nms <- names(x)
    items <- list(); keep <- character(0)
    for (k in seq_along(x)) {
      key <- if (is.null(nms) || !nzchar(nms[[k]])) as.character(k) else nms[[k]]
      w <- .wire_value(x[[k]], sprintf("%s[['%s']]", what, key))
      if (is.null(w)) next
      items[[length(items) + 1L]] <- w
      keep <- c(keep, key)
    }
    return(list(t = "list", names = if (is.null(nms)) NULL else .wire_chr(keep), items = items))
  }
  warning(sprintf("%s (class %s) cannot be converted to Python and was dropped", what,
                  paste(class(x), collapse = "/")), call. = FALSE)
  NULL
}

# A named list of matrices (obsm/varm/obsp/varp) as a named list wire.
.wire_matrix_list <- function(lst, what) {
  if (!length(lst)) return(NULL)
  items <- lapply(names(lst), function(k) .wire_matrix(lst[[k]], transpose = FALSE, sprintf("%s[['%s']]", what, k)))
  list(t = "list", names = .wire_chr(names(lst)), items = items)
}

# ---------------------------------------------------------------------------------------------- decoding
.unwire_chr <- function(w) {
  n <- as.integer(w$n)
  if (n == 0L) return(character(0))
  d <- w$data
  out <- if (is.list(d)) {
    vapply(d, as.character, "")
  } else if (length(d) == n) {
    as.character(d)  # a Python list of strings (or a single string when n == 1)
  } else {
    s <- strsplit(paste0(d, .sep, "."), .sep, fixed = TRUE)[[1L]]
    s[-length(s)]
  }
  if (length(out) != n) stop("internal: expected ", n, " strings, got ", length(out), call. = FALSE)
  if (!is.null(w$na) && length(w$na)) {
    out[readBin(w$na, "integer", n = length(w$na) %/% 4L, size = 4L, endian = "little") + 1L] <- NA_character_
  }
  out
}

.unwire_vec <- function(w) {
  n <- as.integer(w$n)
  out <- switch(w$type,
    double = readBin(w$data, "double", n = n, size = 8L, endian = "little"),
    integer = readBin(w$data, "integer", n = n, size = 4L, endian = "little"),
    logical = as.logical(readBin(w$data, "integer", n = n, size = 4L, endian = "little")),
    character = .unwire_chr(w),
    factor = {
      codes <- readBin(w$data, "integer", n = n, size = 4L, endian = "little")
      structure(codes, levels = .unwire_chr(w$levels),
                class = if (isTRUE(w$ordered)) c("ordered", "factor") else "factor")
    },
    Date = structure(readBin(w$data, "double", n = n, size = 8L, endian = "little"), class = "Date"),
    POSIXct = structure(readBin(w$data, "double", n = n, size = 8L, endian = "little"),
                        class = c("POSIXct", "POSIXt"), tzone = "UTC"),
    stop("internal: unknown vector type ", w$type, call. = FALSE)
  )
  if (!is.null(w$names)) names(out) <- .unwire_chr(w$names)
  out
}

.unwire_matrix <- function(w) {
  d <- as.integer(unlist(w$dim))
  n <- prod(as.double(d))
  out <- switch(w$type,
    double = readBin(w$data, "double", n = n, size = 8L, endian = "little"),
    integer = readBin(w$data, "integer", n = n, size = 4L, endian = "little"),
    logical = as.logical(readBin(w$data, "integer", n = n, size = 4L, endian = "little"))
  )
  dim(out) <- d
  out
}

.unwire_sparse <- function(w) {
  d <- as.integer(unlist(w$dim))
  i <- readBin(w$i, "integer", n = length(w$i) %/% 4L, size = 4L, endian = "little")
  p <- readBin(w$p, "integer", n = length(w$p) %/% 4L, size = 4L, endian = "little")
  x <- readBin(w$x, "double", n = length(w$x) %/% 8L, size = 8L, endian = "little")
  methods::new("dgCMatrix", i = i, p = p, x = x, Dim = d)
}

# A df wire as a named list of columns plus its index (row names).
.unwire_columns <- function(w) {
  nms <- .unwire_chr(w$names)
  cols <- lapply(w$columns, .unwire_vec)
  names(cols) <- nms
  list(columns = cols, index = if (is.null(w$index)) NULL else .unwire_chr(w$index), n = as.integer(w$n))
}

.unwire_df <- function(w) {
  p <- .unwire_columns(w)
  rn <- if (is.null(p$index)) .set_row_names(p$n) else p$index
  structure(p$columns, names = names(p$columns), row.names = rn, class = "data.frame")
}

# An S4Vectors DataFrame (colData/rowData) with the given row names.
.unwire_DataFrame <- function(w, rownames = NULL) {
  p <- .unwire_columns(w)
  df <- S4Vectors::make_zero_col_DFrame(p$n)
  rownames(df) <- if (is.null(rownames)) p$index else rownames
  for (nm in names(p$columns)) df[[nm]] <- p$columns[[nm]]
  df
}

.unwire <- function(w) {
  if (is.null(w)) return(NULL)
  switch(w$t,
    null = NULL,
    vec = .unwire_vec(w),
    mat = .unwire_matrix(w),
    sparse = .unwire_sparse(w),
    df = .unwire_df(w),
    list = {
      items <- lapply(w$items, .unwire)
      if (!is.null(w$names)) names(items) <- .unwire_chr(w$names)
      items
    },
    stop("internal: unknown wire tag ", w$t, call. = FALSE)
  )
}

.warn_notes <- function(notes) {
  for (msg in unlist(notes)) warning(msg, call. = FALSE)
}

# Reference numbers of mixOmics 6.35.2 for tests/multiomics/test_perf_auc.py: perf(..., auc = TRUE) of an sPLS-DA
# (breast.TCGA mrna, keepX 25/25; Mfold 5 x 3 with seed 42, and loo) and of a block.splsda (breast.TCGA, the golden
# perf_block_splsda_tcga_mfold model; Mfold 5 x 3, seed 42). It only *calls* mixOmics; the folds are recorded while
# perf runs with a trace() exit hook on mixOmics:::stratified.subsampling (the technique of make_fixtures.R).
# Run: R_LIBS=<lib with mixOmics> Rscript make_perf_auc.R <datasets/mixomics> <out.json>
suppressMessages({library(mixOmics); library(jsonlite)})
args <- commandArgs(TRUE)
root <- if (length(args) >= 1) args[1] else "../../../../shared/datasets/mixomics"
out_file <- if (length(args) >= 2) args[2] else "mixomics_perf_auc.json"
parse_num <- function(s) jsonlite::parse_json(paste0("[", paste(trimws(s), collapse = ","), "]"), simplifyVector = TRUE)
rd <- function(f) {
  df <- read.csv(file.path(root, f), check.names = FALSE, row.names = 1, colClasses = "character")
  matrix(parse_num(as.matrix(df)), nrow(df), ncol(df), dimnames = list(rownames(df), colnames(df)))
}
M <- function(x) { x <- as.matrix(x); list(dim = dim(x), rownames = rownames(x), colnames = colnames(x),
                                           data = unname(split(unname(x), row(x)))) }
A3 <- function(a) { d <- dim(a); dn <- dimnames(a)
  list(dim = d, dimnames = dn, data = lapply(seq_len(d[3]), function(k) M(matrix(a[, , k], d[1], d[2], dimnames = dn[1:2])))) }
conv <- function(x) if (is.list(x)) lapply(x, conv) else if (is.array(x) && length(dim(x)) == 3) A3(x) else if (is.matrix(x)) M(x) else x
.fold_env <- new.env(); .fold_env$calls <- list()
cap_start <- function() { .fold_env$calls <- list(); invisible(utils::capture.output(suppressMessages(
  trace("stratified.subsampling", exit = quote(.fold_env$calls[[length(.fold_env$calls) + 1L]] <- returnValue()$SAMPLE),
        where = asNamespace("mixOmics"), print = FALSE)))) }
cap_stop <- function() { invisible(utils::capture.output(suppressMessages(untrace("stratified.subsampling",
  where = asNamespace("mixOmics"))))); .fold_env$calls }
fj <- function(r) setNames(lapply(r, function(f) I(as.integer(f))), NULL)
d <- "breast.TCGA"
smp <- read.csv(file.path(root, d, "samples.csv"), row.names = 1, check.names = FALSE, stringsAsFactors = FALSE)
X <- list(mirna = rd(file.path(d, "train_mirna.csv")), mrna = rd(file.path(d, "train_mrna.csv")),
          protein = rd(file.path(d, "train_protein.csv")))
lev <- jsonlite::fromJSON(file.path(root, d, "manifest.json"))$factor_levels$subtype
Y <- factor(smp[rownames(X$mirna), "subtype"], levels = lev)
out <- list(mixomics_version = as.character(packageVersion("mixOmics")), r_version = R.version.string)

fit <- splsda(X$mrna, Y, ncomp = 2, keepX = c(25, 25))
cap_start(); pf <- perf(fit, validation = "Mfold", folds = 5, nrepeat = 3, seed = 42, dist = "all", auc = TRUE); fl <- cap_stop()
stopifnot(length(fl) == 6, identical(fl[1:3], fl[4:6]))  # perf.mixo_plsda reseeds per component: same folds
out$splsda_mfold <- list(r_call = "perf(splsda(mrna, Y, ncomp = 2, keepX = c(25, 25)), validation = 'Mfold', folds = 5, nrepeat = 3, seed = 42, dist = 'all', auc = TRUE)",
  auc = conv(pf$auc), auc_all = conv(pf$auc.all), error_rate = conv(pf$error.rate),
  folds = list(index_base = 1L, by_repeat = setNames(lapply(fl[1:3], fj), paste0("nrep", 1:3))))
pf <- perf(fit, validation = "loo", dist = "all", auc = TRUE)
out$splsda_loo <- list(r_call = "perf(splsda(mrna, Y, ncomp = 2, keepX = c(25, 25)), validation = 'loo', dist = 'all', auc = TRUE)",
  auc = conv(pf$auc), auc_all = conv(pf$auc.all), error_rate = conv(pf$error.rate))

design <- matrix(0.1, 3, 3, dimnames = list(names(X), names(X))); diag(design) <- 0
bfit <- block.splsda(X, Y, ncomp = 2, keepX = list(mirna = c(10, 5), mrna = c(25, 16), protein = c(8, 5)), design = design)
cap_start(); bpf <- perf(bfit, validation = "Mfold", folds = 5, nrepeat = 3, seed = 42, dist = "all", auc = TRUE); fl <- cap_stop()
out$block_splsda_mfold <- list(r_call = "perf(block.splsda(X, Y, ncomp = 2, keepX = list(mirna = c(10, 5), mrna = c(25, 16), protein = c(8, 5)), design = 0.1 off-diagonal), validation = 'Mfold', folds = 5, nrepeat = 3, seed = 42, dist = 'all', auc = TRUE)",
  auc = conv(bpf$auc), auc_all = if (!is.null(bpf$auc.all)) conv(bpf$auc.all) else NULL,
  weighted_vote_error_rate = conv(bpf$WeightedVote.error.rate),
  folds = list(index_base = 1L, n_calls = length(fl), by_repeat = setNames(lapply(fl[seq_len(3)], fj), paste0("nrep", 1:3))))
writeLines(jsonlite::toJSON(out, auto_unbox = TRUE, digits = I(17), null = "null", na = "null", pretty = FALSE), out_file)
cat("names pf:", names(pf), "\n"); str(pf$auc); str(pf$auc.all); cat("names bpf:", names(bpf), "\n"); str(bpf$auc); cat("folds", length(fl), "\n")

# Reference numbers of mixOmics 6.35.2 for tests/multiomics/test_tune_block_realistic.py and the live-R part of
# benchmarks/bench_tune.py: the realistic DIABLO tuning of spec §4 (breast.TCGA, 3 blocks, keepX {5,10,15,20,30}
# per block = 125 combinations per component, 2 components, design 0.1, Mfold 5 x 3 repeats, centroids.dist,
# measure BER, seed 42, SerialParam). It only *calls* mixOmics; the folds R draws are recorded while the call runs
# by a trace() exit hook on mixOmics:::stratified.subsampling (the technique of make_fixtures.R).
# Run: R_LIBS=<lib with mixOmics> Rscript make_tune_block_realistic.R <datasets/mixomics> <out.json>
suppressMessages({library(mixOmics); library(jsonlite); library(BiocParallel)})
args <- commandArgs(TRUE)
root <- if (length(args) >= 1) args[1] else "../../../../shared/datasets/mixomics"
out_file <- if (length(args) >= 2) args[2] else "tune_block_splsda_tcga_realistic.json"
# exact number parsing (R's read.csv parser is not correctly rounding on these CSVs)
parse_num <- function(s) jsonlite::parse_json(paste0("[", paste(trimws(s), collapse = ","), "]"), simplifyVector = TRUE)
rd <- function(f) {
  df <- read.csv(file.path(root, f), check.names = FALSE, row.names = 1, colClasses = "character")
  matrix(parse_num(as.matrix(df)), nrow(df), ncol(df), dimnames = list(rownames(df), colnames(df)))
}
M <- function(x) { x <- as.matrix(x); list(dim = dim(x), rownames = rownames(x), colnames = colnames(x),
                                           data = unname(split(unname(x), row(x)))) }
d <- "breast.TCGA"
smp <- read.csv(file.path(root, d, "samples.csv"), row.names = 1, check.names = FALSE, stringsAsFactors = FALSE)
X <- list(mirna = rd(file.path(d, "train_mirna.csv")), mrna = rd(file.path(d, "train_mrna.csv")),
          protein = rd(file.path(d, "train_protein.csv")))
lev <- jsonlite::fromJSON(file.path(root, d, "manifest.json"))$factor_levels$subtype
Y <- factor(smp[rownames(X$mirna), "subtype"], levels = lev)
design <- matrix(0.1, 3, 3, dimnames = list(names(X), names(X))); diag(design) <- 0
grid <- list(mirna = c(5, 10, 15, 20, 30), mrna = c(5, 10, 15, 20, 30), protein = c(5, 10, 15, 20, 30))

.fold_env <- new.env(); .fold_env$calls <- list()
invisible(utils::capture.output(suppressMessages(
  trace("stratified.subsampling", exit = quote(.fold_env$calls[[length(.fold_env$calls) + 1L]] <- returnValue()$SAMPLE),
        where = asNamespace("mixOmics"), print = FALSE))))
load_before <- as.numeric(strsplit(readLines("/proc/loadavg"), " ")[[1]][1:3])
tm <- system.time(tn <- tune.block.splsda(X, Y, ncomp = 2, test.keepX = grid, design = design, validation = "Mfold",
                                          folds = 5, nrepeat = 3, dist = "centroids.dist", measure = "BER",
                                          weighted = TRUE, seed = 42, BPPARAM = SerialParam()))
load_after <- as.numeric(strsplit(readLines("/proc/loadavg"), " ")[[1]][1:3])
invisible(utils::capture.output(suppressMessages(untrace("stratified.subsampling", where = asNamespace("mixOmics")))))
fl <- .fold_env$calls
stopifnot(length(fl) == 6)
fj <- function(r) setNames(lapply(r, function(f) I(as.integer(f))), NULL)
out <- list(
  mixomics_version = as.character(packageVersion("mixOmics")), r_version = R.version.string,
  r_call = paste("tune.block.splsda(X, Y, ncomp = 2, test.keepX = list(mirna=, mrna=, protein= c(5,10,15,20,30)),",
                 "design = <0.1 off-diagonal>, validation = 'Mfold', folds = 5, nrepeat = 3, dist = 'centroids.dist',",
                 "measure = 'BER', weighted = TRUE, seed = 42, BPPARAM = SerialParam())"),
  params = list(ncomp = 2, test.keepX = grid, design = M(design), folds = 5, nrepeat = 3, dist = "centroids.dist",
                measure = "BER", weighted = TRUE, seed = 42),
  timing = list(user_s = unname(tm[["user.self"]] + tm[["user.child"]]), sys_s = unname(tm[["sys.self"]] + tm[["sys.child"]]),
                elapsed_s = unname(tm[["elapsed"]]), load_before = load_before, load_after = load_after,
                blas = La_library(), machine_cores = parallel::detectCores()),
  error_rate = M(tn$error.rate), error_rate_sd = M(tn$error.rate.sd),
  error_rate_all = lapply(tn$error.rate.all, M),
  error_rate_class = lapply(tn$error.rate.class, M),
  choice_keep_x = lapply(tn$choice.keepX, as.numeric),
  choice_ncomp = list(ncomp = tn$choice.ncomp$ncomp, values = M(tn$choice.ncomp$values)),
  grid_rownames_note = "error_rate rows are '<mirna>_<mrna>_<protein>' keepX combinations (expand.grid order)",
  folds = list(index_base = 1L, order = "captured call order: comp1 nrep1..3, comp2 nrep1..3",
               by_comp_repeat = list(comp1 = setNames(lapply(fl[1:3], fj), paste0("nrep", 1:3)),
                                     comp2 = setNames(lapply(fl[4:6], fj), paste0("nrep", 1:3)))))
writeLines(jsonlite::toJSON(out, auto_unbox = TRUE, digits = I(17), null = "null", na = "null", pretty = FALSE), out_file)
cat("done", tm, "\n")

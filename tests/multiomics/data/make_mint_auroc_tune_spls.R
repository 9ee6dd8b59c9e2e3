# Reference outputs of mixOmics 6.35.2 for tests/multiomics/test_mint.py, test_auroc.py and test_tune_spls.py.
# It only *calls* mixOmics (installed from its 6.35.2 sources, R-version requirement relaxed as for the golden
# fixtures) on the CSV exports of ../shared/datasets/mixomics; the numbers are written to mixomics_r_extra.json.
# Run (from this folder): python3 ../test_tune_spls.py   # writes tune_spls_sim_X.csv / _Y.csv (not committed)
#      R_LIBS=<library holding mixOmics> Rscript make_mint_auroc_tune_spls.R <datasets/mixomics> mixomics_r_extra.json
suppressMessages({library(mixOmics); library(jsonlite); library(BiocParallel)})
args <- commandArgs(TRUE)
root <- if (length(args) >= 1) args[1] else "../../../../shared/datasets/mixomics"
out_file <- if (length(args) >= 2) args[2] else "mixomics_r_extra.json"
rd <- function(f) as.matrix(read.csv(file.path(root, f), row.names = 1, check.names = FALSE))
ann <- function(f) read.csv(file.path(root, f), row.names = 1, check.names = FALSE, stringsAsFactors = FALSE)
M <- function(x) { x <- as.matrix(x); list(dim = dim(x), rownames = rownames(x), colnames = colnames(x), data = unname(split(unname(x), row(x)))) }
out <- list(mixomics_version = as.character(packageVersion("mixOmics")), r_version = R.version.string)

## ---------------------------------------------------------------- MINT on stemcells
X <- rd("stemcells/gene.csv"); s <- ann("stemcells/samples.csv")
Y <- factor(s$celltype, levels = c("Fibroblast", "hESC", "hiPSC")); study <- factor(s$study)
for (case in c("mint_splsda", "mint_plsda")) {
  fit <- if (case == "mint_splsda") mint.splsda(X, Y, study = study, ncomp = 2, keepX = c(10, 5)) else
    mint.plsda(X, Y, study = study, ncomp = 2)
  new.study <- as.character(study); new.study[1:10] <- "new"
  pr.known <- predict(fit, newdata = X, study.test = study, dist = "all")
  pr.new <- predict(fit, newdata = X[1:10, ], study.test = factor(rep("new", 10)), dist = "all")
  pf <- perf(fit, dist = "all")
  res <- list(
    loadings_X = M(fit$loadings$X), loadings_Y = M(fit$loadings$Y),
    variates_X = M(fit$variates$X), variates_Y = M(fit$variates$Y),
    prop_expl_var_X = lapply(fit$prop_expl_var$X, as.numeric),
    predict_known = lapply(1:2, function(h) M(pr.known$predict[, , h])),
    variates_known = M(pr.known$variates),
    class_known = lapply(pr.known$class, function(m) M(m)),
    predict_new = lapply(1:2, function(h) M(pr.new$predict[, , h])),
    variates_new = M(pr.new$variates),
    class_new = lapply(pr.new$class, function(m) M(m)),
    perf_global_error = lapply(pf$global.error, function(m) if (is.matrix(m)) M(m) else m),
    perf_study_error = lapply(pf$study.specific.error, function(x) lapply(x, M)),
    auroc = lapply(1:2, function(h) M(auroc(fit, newdata = X, study.test = study, outcome.test = Y, roc.comp = h,
                                          plot = FALSE, print = FALSE)[[paste0("Comp", h)]]))
  )
  out[[case]] <- res
}

## tune.mint.splsda (leave-one-study-out, deterministic)
for (dm in list(c("max.dist", "BER"), c("centroids.dist", "overall"))) {
  tn <- tune.mint.splsda(X, Y, study = study, ncomp = 2, test.keepX = c(5, 10, 15, 30), dist = dm[1], measure = dm[2])
  out[[paste0("tune_mint_splsda_", dm[1], "_", dm[2])]] <- list(error_rate = M(tn$error.rate),
                                                                  choice_keepX = unname(tn$choice.keepX))
}

## mint.pls / mint.spls on stemcells: genes 1-200 against genes 201-210 (a regression example)
Xp <- X[, 1:200]; Yp <- X[, 201:210]
for (case in c("mint_spls", "mint_pls")) {
  fit <- if (case == "mint_spls") mint.spls(Xp, Yp, study = study, ncomp = 2, keepX = c(20, 10), keepY = c(5, 5)) else
    mint.pls(Xp, Yp, study = study, ncomp = 2)
  pr.known <- predict(fit, newdata = Xp, study.test = study)
  pr.new <- predict(fit, newdata = Xp[1:10, ], study.test = factor(rep("new", 10)))
  out[[case]] <- list(
    loadings_X = M(fit$loadings$X), loadings_Y = M(fit$loadings$Y),
    variates_X = M(fit$variates$X), variates_Y = M(fit$variates$Y),
    predict_known = lapply(1:2, function(h) M(pr.known$predict[, , h])),
    predict_new = lapply(1:2, function(h) M(pr.new$predict[, , h])),
    variates_new = M(pr.new$variates))
}

## ---------------------------------------------------------------- auroc of a DIABLO model, raw training blocks
d <- "breast.TCGA"; smp <- ann(file.path(d, "samples.csv"))
Xb <- list(mirna = rd(file.path(d, "train_mirna.csv")), mrna = rd(file.path(d, "train_mrna.csv")))
Yb <- factor(smp[rownames(Xb$mirna), "subtype"], levels = c("Basal", "Her2", "LumA"))
blk <- block.plsda(Xb, Yb, ncomp = 2, tol = 1e-30)  # tol 1e-30: iteration-independent fit
out$auroc_block_plsda <- lapply(auroc(blk, newdata = Xb, outcome.test = Yb, plot = FALSE, print = FALSE),
                                function(bl) lapply(bl, M))

## ---------------------------------------------------------------- tune.spls, leave-one-out (deterministic)
# Data: the simulation of tests/multiomics/test_tune_spls.py::_r_sim_data (written to CSV by that test module's
# __main__ block), stored in the output so the test can check it is the same.
Xs0 <- as.matrix(read.csv(file.path(dirname(out_file), "tune_spls_sim_X.csv"), row.names = 1))
Ys0 <- as.matrix(read.csv(file.path(dirname(out_file), "tune_spls_sim_Y.csv"), row.names = 1))
out$tune_spls_sim <- list(X = M(Xs0), Y = M(Ys0))
# perf.mixo_pls's LOO protocol for the last component, written out with mixOmics' spls()/predict() so that each
# fold component's sign can be aligned with the full model's (align = TRUE); align = FALSE reproduces perf().
loo_last <- function(X0, Y0, keepX, keepY, mode, align) {
  H <- length(keepX)
  full <- spls(X0, Y0, ncomp = H, keepX = keepX, keepY = keepY, mode = mode, tol = 1e-9)
  X <- full$X; Y <- full$Y; n <- nrow(X); tp <- up <- numeric(n)
  for (i in 1:n) {
    Xtr <- X[-i, ]; Ytr <- Y[-i, ]; Xte <- X[i, , drop = FALSE]; Yte <- Y[i, , drop = FALSE]
    for (h in 1:H) {
      f <- spls(Xtr, Ytr, ncomp = 1, keepX = keepX[h], keepY = keepY[h], mode = mode, tol = 1e-9)
      a <- f$loadings$X; b <- f$loadings$Y; t <- f$variates$X; u <- f$variates$Y
      s <- if (align && h == H) sign(sum(a * full$loadings$X[, H])) else 1
      tpr <- c(Xte %*% a); upr <- c(Yte %*% b)
      if (h == H) { tp[i] <- s * tpr; up[i] <- s * upr; break }
      cc <- crossprod(Xtr, u) / sum(u^2)
      Yhat <- predict(f, Xte)$predict[, , 1]
      Xtr <- Xtr - t %*% t(cc); Xte <- Xte - tpr %*% t(cc)
      if (mode == "regression") { Ytr <- Ytr - t %*% t(crossprod(Ytr, t) / sum(t^2)); Yte <- Yte - Yhat }
      if (mode == "classic") { Ytr <- Ytr - t %*% t(b); Yte <- Yte - tpr %*% t(b) }
      if (mode == "canonical") { e <- crossprod(Ytr, u) / sum(u^2); Ytr <- Ytr - u %*% t(e); Yte <- Yte - upr %*% t(e) }
    }
  }
  T <- full$variates$X[, H]; U <- full$variates$Y[, H]
  c(cor_t = abs(cor(tp, T)), cor_u = abs(cor(up, U)), RSS_t = sum((tp - T)^2) / (n - 1), RSS_u = sum((up - U)^2) / (n - 1))
}
gx <- c(40, 6, 12); gy <- c(5, 3)
for (mode in c("regression", "canonical", "classic")) {
  tn <- tune.spls(Xs0, Ys0, test.keepX = gx, test.keepY = gy, ncomp = 2, mode = mode, validation = "loo",
                  measure = "cor", BPPARAM = SerialParam())
  mp <- tn$measure.pred
  tab <- data.frame(comp = mp$comp, keepX = mp$keepX, keepY = mp$keepY, V = as.character(mp$V),
                    measure = as.character(mp$measure), value = sapply(mp$value.v, function(v) as.numeric(v[[1]][1])))
  k1x <- tn$choice.keepX[1]; k1y <- tn$choice.keepY[1]
  aligned <- list()
  for (kx in gx) for (ky in gy) {
    raw <- loo_last(Xs0, Ys0, c(k1x, kx), c(k1y, ky), mode, align = FALSE)
    ref <- tab[tab$comp == 2 & tab$keepX == kx & tab$keepY == ky & tab$measure == "cor", ]
    stopifnot(isTRUE(all.equal(unname(raw[c("cor_t", "cor_u")]), ref$value[match(c("t", "u"), ref$V)], tolerance = 1e-6)))
    al <- loo_last(Xs0, Ys0, c(k1x, kx), c(k1y, ky), mode, align = TRUE)
    aligned[[length(aligned) + 1]] <- c(keepX = kx, keepY = ky, al)
  }
  out[[paste0("tune_spls_sim_loo_", mode)]] <- list(
    choice_keepX = unname(tn$choice.keepX), choice_keepY = unname(tn$choice.keepY), table = tab,
    comp2_aligned = as.data.frame(do.call(rbind, aligned)))
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, null = "null", na = "null"), out_file)

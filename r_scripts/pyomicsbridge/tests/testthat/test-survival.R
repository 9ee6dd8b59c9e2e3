lung_data <- function() {
  lung <- survival::lung
  lung$event <- lung$status == 2  # survival codes 1 = censored, 2 = dead
  lung
}

lung_se <- function(lung = lung_data()) {
  SummarizedExperiment(colData = S4Vectors::DataFrame(lung, row.names = paste0("pt", seq_len(nrow(lung)))))
}

expect_matches_survdiff <- function(res, fit) {
  expect_lt(abs(res$statistic - fit$chisq) / fit$chisq, 1e-10)
  expect_identical(res$df, length(fit$n) - 1L)
  expect_close(res$table$observed, fit$obs, tol = 1e-10)
  expect_close(res$table$expected, fit$exp, tol = 1e-10)
  expect_identical(as.integer(res$table$n), as.integer(fit$n))
  expect_close(res$pvalue, stats::pchisq(fit$chisq, length(fit$n) - 1L, lower.tail = FALSE), tol = 1e-12)
  expect_identical(names(res$table)[1:3], c("n", "observed", "expected"))
}

test_that("pob_logrank on a SummarizedExperiment equals survival::survdiff (2 groups, rho 0 and 1)", {
  skip_if_no_pob()
  skip_if_not_installed("survival")
  lung <- lung_data()
  se <- lung_se(lung)
  for (rho in c(0, 1)) {
    out <- pob_logrank(se, time = "time", event = "event", group = "sex", rho = rho)
    expect_s4_class(out, "SummarizedExperiment")
    expect_identical(dim(out), dim(se))
    res <- S4Vectors::metadata(out)$logrank
    fit <- survival::survdiff(survival::Surv(time, status) ~ sex, data = lung, rho = rho)
    expect_matches_survdiff(res, fit)
    expect_identical(rownames(res$table), c("1", "2"))
    expect_identical(res$params$rho, rho)
  }
})

test_that("pob_logrank with 3 groups equals survdiff and keeps the factor level order", {
  skip_if_no_pob()
  skip_if_not_installed("survival")
  lung <- lung_data()
  lung <- lung[!is.na(lung$ph.ecog), ]
  lung$ecog <- factor(pmin(lung$ph.ecog, 2), levels = c(2, 0, 1))
  for (rho in c(0, 1)) {
    res <- pob_logrank(lung, "time", "event", "ecog", rho = rho, key_added = "lr_ecog")
    expect_type(res, "list")
    fit <- survival::survdiff(survival::Surv(time, status) ~ ecog, data = lung, rho = rho)
    expect_matches_survdiff(res, fit)
    expect_identical(rownames(res$table), c("2", "0", "1"))
    expect_identical(res$df, 2L)
  }
})

test_that("pob_kaplan_meier equals survival::survfit", {
  skip_if_no_pob()
  skip_if_not_installed("survival")
  lung <- lung_data()
  se <- lung_se(lung)
  for (conf_type in c("log", "log-log", "plain")) {
    out <- pob_kaplan_meier(se, time = "time", event = "event", group = "sex", conf_type = conf_type)
    km <- S4Vectors::metadata(out)$kaplan_meier
    fit <- survival::survfit(survival::Surv(time, status) ~ sex, data = lung, conf.type = conf_type)
    tab <- km$table
    expect_identical(levels(tab$group), c("1", "2"))
    expect_identical(as.integer(tab$group), rep(1:2, fit$strata[1:2]))
    expect_close(tab$time, fit$time, tol = 0)
    expect_close(tab$n_risk, fit$n.risk, tol = 0)
    expect_close(tab$n_event, fit$n.event, tol = 0)
    expect_close(tab$n_censor, fit$n.censor, tol = 0)
    expect_close(tab$survival, fit$surv, tol = 1e-10)
    expect_close(tab$std_err, fit$std.err, tol = 1e-10)
    expect_close(tab$lower, fit$lower, tol = 1e-10)
    expect_close(tab$upper, fit$upper, tol = 1e-10)
    expect_close(km$median[c("1", "2"), "median"], summary(fit)$table[, "median"], tol = 0)
  }
})

test_that("pob_kaplan_meier without groups and on a data.frame equals survfit", {
  skip_if_no_pob()
  skip_if_not_installed("survival")
  lung <- lung_data()
  km <- pob_kaplan_meier(lung, "time", "event", conf_level = 0.9)
  fit <- survival::survfit(survival::Surv(time, status) ~ 1, data = lung, conf.int = 0.9)
  expect_close(km$table$time, fit$time, tol = 0)
  expect_close(km$table$survival, fit$surv, tol = 1e-10)
  expect_close(km$table$std_err, fit$std.err, tol = 1e-10)
  expect_close(km$table$lower, fit$lower, tol = 1e-10)
  expect_close(km$table$upper, fit$upper, tol = 1e-10)
  expect_close(km$median$median, summary(fit)$table[["median"]], tol = 0)
})

test_that("a missing colData column gives an R error naming the column", {
  skip_if_not_installed("survival")
  se <- lung_se()
  expect_error(pob_logrank(se, "time", "event", "treatment_arm"),
               "column 'treatment_arm' \\(group = \"treatment_arm\"\\) not found in colData\\(x\\)")
  expect_error(pob_kaplan_meier(se, "followup", "event"), "column 'followup'.*not found in colData")
  expect_error(pob_logrank(as.data.frame(lung_data()), "time", "death", "sex"),
               "column 'death'.*not found in the data frame x")
  expect_error(pob_logrank(se, "time", "event", "sex", backend = "r"), "cannot be used from R")
  expect_error(pob_logrank(list(), "time", "event", "sex"), "x must be a SummarizedExperiment or a data.frame")
})

test_that("errors raised in Python come back as R errors naming the function", {
  skip_if_no_pob()
  skip_if_not_installed("survival")
  # status is coded 1/2, not 0/1
  expect_error(pob_logrank(lung_se(), "time", "status", "sex"),
               "pyomics_bridge.tl.logrank failed: .*must be 0/1")
})

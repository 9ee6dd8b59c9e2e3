"""Real-cohort example of docs/survival_real_cohort.md: gse1992 (train) -> gse4335 (test) by percentile transfer.

Needs the GPLv3 package ``survset`` (``pip install survset``; test/docs-only dependency, its data are never
copied into this repository) and matplotlib; R's ``survival`` (rpy2) only for the ``backend="r"`` Cox row.

    python docs/make_survival_real.py            # prints the numbers, writes docs/figures/survival_real_*.png
    python docs/make_survival_real.py --genome-wide   # also the ~11.8k-gene calibrated screen (~30 s)
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from anndata import AnnData

from pyomics_bridge.pl._km_risk_table import kaplan_meier_risk_table, numbers_at_risk
from pyomics_bridge.pl._utils import pyplot
from pyomics_bridge.survival._discrimination import concordance_index, time_dependent_auc
from pyomics_bridge.tl import _prognostic as tlp
from pyomics_bridge.tl._cox import cox
from pyomics_bridge.tl._survival import kaplan_meier, logrank

FIG = Path(__file__).resolve().parent / "figures"
# Tissue-restricted candidates (breast GEC genes of the 2023 BMC Genomics paper + cancer-testis genes) present in
# both cohorts; MCM10 is missing from gse4335. Neither cohort has normal samples: no tissue-restriction step.
CANDIDATES = ["DNMT3B", "EXO1", "MCM10", "CENPF", "CENPE", "CTAG1A", "CTAG1B", "CTAG2", "CTAGE5", "MAGEA1",
              "MAGEA3", "MAGEA4", "MAGEA5", "MAGEA6", "MAGEA8", "MAGEA10", "MAGEA12", "PRAME", "PRAMEF1",
              "HORMAD1", "DAZL", "SSX2"]
AUC_TIMES = [12.0, 24.0, 36.0, 48.0, 60.0]


def load(name: str) -> AnnData:
    """A SurvSet expression cohort as AnnData (genes = ``num_HS_*`` columns; rare NaN -> per-gene median)."""
    from SurvSet.data import SurvLoader

    df = SurvLoader().load_dataset(name)["df"]
    genes = [c for c in df.columns if c.startswith("num_HS_")]
    X = df[genes].to_numpy(dtype=np.float64)
    n_nan = int(np.isnan(X).sum())
    X = np.where(np.isnan(X), np.nanmedian(X, axis=0), X)
    obs = pd.DataFrame({"os_time": df["time"].to_numpy(float), "os_event": df["event"].to_numpy(int)},
                       index=df["pid"].astype(str).to_numpy())
    adata = AnnData(X, obs=obs)
    adata.var_names = [g[len("num_HS_"):] for g in genes]
    adata.var_names_make_unique()
    adata.uns["source"] = {"dataset": name, "imputed_values": n_nan}
    return adata


def score_summary(adata: AnnData, key: str) -> dict:
    rec = adata.uns[key]
    t = adata.obs["os_time"].to_numpy()
    e = adata.obs["os_event"].to_numpy().astype(bool)
    n = adata.obs["n_activated"].to_numpy(float)
    auc = time_dependent_auc(n, t, e, [s for s in AUC_TIMES if t.min() <= s < t.max()])
    return {
        "logrank_chi2": rec["logrank"]["statistic"], "logrank_df": rec["logrank"]["df"],
        "logrank_p": rec["logrank"]["pvalue"], "hr_per_gene": rec["cox"]["hr"], "hr_lower": rec["cox"]["hr_lower"],
        "hr_upper": rec["cox"]["hr_upper"], "cox_p": rec["cox"]["p"], "harrell_c": rec["concordance"],
        "harrell_c_check": concordance_index(n, t, e).cindex,
        "uno_c_60": concordance_index(n, t, e, method="uno", tau=60.0).cindex,
        "auc": dict(zip(auc.times.tolist(), np.round(auc.auc, 4).tolist(), strict=True)), "mean_auc": auc.mean_auc,
        "groups": rec["group_sizes"]["n"].to_dict(),
    }


def main(genome_wide: bool = False) -> dict:
    warnings.simplefilter("ignore")  # separation warnings of degenerate cuts are expected in the grid
    train, test = load("gse1992"), load("gse4335")
    common = train.var_names.intersection(test.var_names)
    cand = [g for g in CANDIDATES if g in common]
    print(f"train gse1992: {train.n_obs} x {train.n_vars}, {int(train.obs.os_event.sum())} events, "
          f"{train.uns['source']['imputed_values']} NaN imputed; test gse4335: {test.n_obs} x {test.n_vars}, "
          f"{int(test.obs.os_event.sum())} events, {test.uns['source']['imputed_values']} NaN imputed; "
          f"{len(common)} common genes; {len(cand)} candidates: {cand}")
    results: dict = {"candidates": cand}
    for mode in ("epimed", "calibrated"):
        tr, te = train.copy(), test.copy()
        t0 = time.perf_counter()
        # centred log-ratio arrays: no absolute noise floor (noise=None); no normal samples (reference ignored)
        tlp.prognostic_thresholds(tr, genes=cand, mode=mode, noise=None, random_state=0)
        elapsed = time.perf_counter() - t0
        table = tr.uns["prognostic"]["table"]
        panel = list(table.index[table["validated"].to_numpy(dtype=bool)])
        tlp.activation_score(tr, panel=panel, time_key="os_time", event_key="os_event")
        tlp.transfer_thresholds(te, tr, genes=panel)
        tlp.activation_score(te, panel=panel, thresholds_key="transferred", time_key="os_time",
                             event_key="os_event")
        res = {"panel": panel, "seconds": elapsed,
               "table": table[["percentile", "threshold", "p", "hr", "cv_score", "p_corrected", "q_value",
                               "validated", "full_expression_p", "full_expression_hr"]],
               "transfer": te.var.loc[panel, ["transferred_percentile", "transferred_threshold",
                                              "transferred_frequency"]],
               "train": score_summary(tr, "activation_score"), "test": score_summary(te, "activation_score")}
        # Cox on the count with both backends (tl.cox)
        for backend in ("python", "r"):
            try:
                cox(te, time_key="os_time", event_key="os_event", covariates=["n_activated"], backend=backend,
                    key_added=f"cox_{backend}")
                res[f"cox_{backend}"] = te.uns[f"cox_{backend}"]["summary"].loc["n_activated"]
            except Exception as exc:  # R / rpy2 missing
                res[f"cox_{backend}"] = repr(exc)
        results[mode] = res
        results[f"{mode}_adata"] = (tr, te)
        pd.set_option("display.width", 200)
        print(f"\n=== mode={mode}: panel ({len(panel)}) {panel}  [{elapsed:.2f} s]")
        print(res["table"].round(4).to_string())
        print(res["transfer"].round(3).to_string())
        for part in ("train", "test"):
            print(part, {k: (round(v, 6) if isinstance(v, float) else v) for k, v in res[part].items()})
        for backend in ("python", "r"):
            print(f"tl.cox backend={backend}:", res[f"cox_{backend}"] if isinstance(res[f"cox_{backend}"], str)
                  else res[f"cox_{backend}"].to_dict())

    # figures: KM of the transferred calibrated panel in the test cohort with numbers at risk; AUC(t)
    plt = pyplot()
    _, te = results["calibrated_adata"]
    kaplan_meier(te, time_key="os_time", event_key="os_event", groupby="risk_group")
    logrank(te, time_key="os_time", event_key="os_event", groupby="risk_group")
    ax, ax_table = kaplan_meier_risk_table(te, times=[0, 12, 24, 36, 48, 60, 84, 120])
    ax.set_title("gse4335 (test): calibrated 5-gene panel, thresholds transferred by percentile", fontsize=9)
    ax_table.set_xlabel("months")
    ax.figure.savefig(FIG / "survival_real_km_test.png", dpi=110, bbox_inches="tight")
    results["risk_table"] = numbers_at_risk(te.uns["kaplan_meier"]["table"], [0, 12, 24, 36, 48, 60, 84, 120],
                                            groups=list(te.uns["kaplan_meier"]["median"].index))
    print("\nnumbers at risk (test, calibrated panel):")
    print(results["risk_table"].pivot(index="group", columns="time", values="n_risk").to_string())
    fig, axa = plt.subplots(figsize=(5.5, 3.6))
    for mode, style in (("epimed", "--"), ("calibrated", "-")):
        for part, color in (("train", "tab:gray"), ("test", "tab:red")):
            auc = results[mode][part]["auc"]
            axa.plot(list(auc), list(auc.values()), style, marker="o", color=color,
                     label=f"{mode} panel, {part} ({'gse1992' if part == 'train' else 'gse4335'})")
    axa.axhline(0.5, color="black", lw=0.6)
    axa.set_xlabel("months")
    axa.set_ylabel("cumulative/dynamic AUC (Uno IPCW)")
    axa.set_ylim(0.4, 1.0)
    axa.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.savefig(FIG / "survival_real_td_auc.png", dpi=110, bbox_inches="tight")
    plt.close("all")

    if genome_wide:
        tr = train[:, common].copy()
        t0 = time.perf_counter()
        tlp.prognostic_thresholds(tr, mode="calibrated", noise=None, random_state=0)
        elapsed = time.perf_counter() - t0
        tab = tr.uns["prognostic"]["table"]
        gw = {"genes": int(tr.n_vars), "seconds": elapsed, "nominal_p_lt_0.05": float((tab["p"] < 0.05).mean()),
              "corrected_p_lt_0.05": float((tab["p_corrected"] < 0.05).mean()),
              "validated_q_le_0.05": int(tab["validated"].sum()),
              "candidates_validated": [g for g in cand if bool(tab.loc[g, "validated"])]}
        results["genome_wide"] = gw
        print("\ngenome-wide calibrated screen on gse1992:", gw)
        print(tab.sort_values("p").head(10)[["percentile", "p", "hr", "p_corrected", "q_value"]].to_string())
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--genome-wide", action="store_true")
    main(genome_wide=parser.parse_args().genome_wide)

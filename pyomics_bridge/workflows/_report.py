"""Self-contained HTML report (figures embedded as base64 PNG, no external assets)."""

from __future__ import annotations

import base64
import html
import io
import platform
from datetime import datetime, timezone
from pathlib import Path

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1000px;margin:2em auto;
color:#222;line-height:1.45;padding:0 1em}
h1{border-bottom:2px solid #2b6cb0}h2{margin-top:2em;color:#2b6cb0}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.9em}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:right}th{background:#f0f4f8}figure{margin:1em 0}figcaption{font-size:.9em;color:#555}
.skip{color:#a0522d}img{max-width:100%;height:auto}.meta{font-size:.85em;color:#555}code{background:#f4f4f4;padding:0 3px}
"""


def figure_png(fig, *, dpi: int = 110) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def _table_html(frame) -> str:
    return frame.to_html(float_format=lambda v: f"{v:.6g}", border=0, na_rep="NA")


def write_report(path: Path, results, *, out_dir: Path, use_r: bool) -> Path:
    """Write the report for ``results`` (pairs of Workflow and WorkflowResult) to ``path``."""
    from .. import __version__

    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>pyomics_bridge demo</title>"
             f"<style>{_CSS}</style></head><body>", "<h1>pyomics_bridge demo report</h1>"]
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts.append(f"<p class='meta'>pyomics_bridge {__version__} · Python {platform.python_version()} · "
                 f"R reference: {'on' if use_r else 'off'} · {stamp}</p>")
    parts.append("<ul>" + "".join(f"<li><a href='#{html.escape(wf.name)}'>{html.escape(res.title)}</a>"
                                  f"{' (skipped)' if res.skipped else ''}</li>" for wf, res in results) + "</ul>")
    for wf, res in results:
        parts.append(f"<h2 id='{html.escape(wf.name)}'>{html.escape(res.title)}</h2>")
        if res.skipped:
            parts.append(f"<p class='skip'>Skipped: {html.escape(res.skipped)}</p>")
            continue
        parts.extend(f"<p>{html.escape(p)}</p>" for p in res.summary)
        for caption, png in res.figures:
            data = base64.b64encode(png).decode("ascii")
            parts.append(f"<figure><img alt='{html.escape(caption)}' src='data:image/png;base64,{data}'>"
                         f"<figcaption>{html.escape(caption)}</figcaption></figure>")
        for caption, frame in res.tables:
            parts.append(f"<h3>{html.escape(caption)}</h3>{_table_html(frame)}")
        if res.files:
            files = ", ".join(f"<code>{html.escape(str(f.relative_to(out_dir)))}</code>" for f in res.files)
            parts.append(f"<p class='meta'>Files: {files} · {res.seconds:.1f} s</p>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path

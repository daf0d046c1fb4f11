"""The clinician report as a PDF (matplotlib, no pyplot: safe without a display).

Pages: 1 summary (athlete, visits, program progress, return-to-run readiness);
2 comparison table with the MDC used for each judgement; 3 strength per side, step
width distributions, cadence and pain across visits; 4 EMG ensembles over the gait
cycle, visits overlaid.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from gaitlab import __version__
from gaitlab.compare import present as P
from gaitlab.errors import GaitlabError
from gaitlab.io.paths import check_writable
from gaitlab.report.data import ReportData

A4 = (8.27, 11.69)
VERDICT_COLOURS = {"improved": "#d8f0d8", "worsened": "#f6d5d5", "changed": "#fbeecb"}


def _colours(n: int) -> list[tuple[float, float, float, float]]:
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(x) for x in np.linspace(0.15, 0.85, max(n, 1))]


def _text_page(fig: Figure, d: ReportData) -> None:
    a = d.athlete
    lines: list[tuple[str, str]] = []  # (style, text)
    lines.append(("h1", "ITBS clinic report"))
    lines.append(("p", f"Athlete {a.get('id', '?')} — {a.get('name', '')}; sex {a.get('sex') or '-'}, "
                       f"{a.get('body_mass_kg', '-')} kg, involved side {a.get('involved_side') or '-'}"))
    lines.append(("h2", "Visits"))
    for lg in d.visit_log or d.logs:
        pain = "not logged" if lg.pain_nrs is None else f"{lg.pain_nrs:g}/10"
        vol = "not logged" if lg.run_volume_km is None else f"{lg.run_volume_km:g} km/week"
        wk = lg.shown_week
        wk_txt = "" if wk is None else f"  week {wk}"
        f = Path(lg.file).name if lg.file else "no session file"
        if not d.logged:  # session files only: nothing was logged, so nothing to list but the file
            lines.append(("p", f"{lg.date or '-'}  file {f}"))
            continue
        lines.append(("p", f"{lg.date or '-'}  {lg.kind or 'session'}{wk_txt}  pain {pain}  "
                           f"running {vol}  file {f}"))
    if d.status is not None and d.program is not None:
        s = d.status
        wk = s.week_text + (f" of {d.program.total_weeks}" if s.week else "")
        lines.append(("h2", f"Program: {d.program.name} — {wk}"))
        ph = ", ".join(f"phase {p.number} {p.name}" for p in s.phases) or (
            "unknown (no enrolment start date, no week logged)" if s.week is None else "no phase active")
        lines.append(("p", f"Current: {ph}"))
        lines.append(("h3", "Due now"))
        lines += [("li", x) for x in s.due]
        last = (d.visit_log or d.logs)[-1]
        verdict = "READY" if s.ready_to_run else "NOT READY"
        at = last.date or "the last visit"
        lines.append(("h2", f"Return to running: {verdict} (at the visit of {at})"))
        lines += [("ok", f"met: {x}") for x in s.met]
        lines += [("bad", f"unmet: {x}") for x in s.unmet]
        lines.append(("h3", "Warning signs: step back if"))
        lines += [("li", x) for x in s.warning_signs]
    else:
        lines.append(("h2", "Program and return to running"))
        lines.append(("p", d.program_note or "Program progress not shown."))
    if d.warnings:
        lines.append(("h3", "Check"))
        lines += [("bad", w) for w in d.warnings]
    rows = d.comparison.rows
    good = [r["label"] for r in rows if r["verdict"] == "improved"]
    bad = [r["label"] for r in rows if r["verdict"] == "worsened"]
    lines.append(("h2", "Summary of change, first to last visit"))
    if len(d.visits) < 2:
        lines.append(("p", "One visit with a session file: nothing to compare yet."))
    else:
        lines.append(("ok", "improved beyond MDC/noise: " + (", ".join(good) or "none")))
        lines.append(("bad", "worsened beyond MDC/noise: " + (", ".join(bad) or "none")))
    y = 0.96
    style = {"h1": (16, "bold", "black", 0.035), "h2": (12, "bold", "black", 0.03),
             "h3": (10, "bold", "#333333", 0.024), "p": (9, "normal", "black", 0.02),
             "li": (9, "normal", "black", 0.02), "ok": (9, "normal", "#1b6e1b", 0.02),
             "bad": (9, "normal", "#a31515", 0.02)}
    for kind, txt in lines:
        size, weight, colour, step = style[kind]
        prefix = "• " if kind == "li" else ""
        for k, part in enumerate(textwrap.wrap(prefix + txt, 105 if size <= 9 else 80) or [""]):
            fig.text(0.06 + (0.02 if k and prefix else 0), y, part, fontsize=size, weight=weight,
                     color=colour, va="top")
            y -= step
        if kind.startswith("h"):
            y -= 0.004
        if y < 0.04:
            fig.text(0.06, y, "… (continued in the comparison table)", fontsize=8, va="top")
            break
    fig.text(0.06, 0.015, f"gaitlab {__version__}", fontsize=7, color="grey")


TABLE_ROW_IN = 0.2  # height of one table row on paper, inches


def _table_page(fig: Figure, d: ReportData) -> None:
    c = d.comparison
    fig.text(0.05, 0.97, "Metrics by visit: change first → last, judged against MDC",
             fontsize=13, weight="bold", va="top")
    short = [lb.split("(", 1)[1].rstrip(")") if "(wk" in lb else lb for lb in c.labels]
    head = ["Metric", "Better", *short, "Change", "MDC / thr.", "Verdict", "Trend"]
    cells, colours = [], []
    for r in c.rows:
        vals = [P.fmt(v) for v in r["values"]]
        cells.append([f"{r['label']} [{r['unit']}]", P.direction_text(r), *vals,
                      P.fmt(r["change"], sign=True), P.threshold_text(r, unit=False), r["verdict"],
                      P.trend_text(r, unit=False)])
        colours.append(["white"] * (len(head) - 2)
                       + [VERDICT_COLOURS.get(r["verdict"], "white"), "white"])
    top = 0.935
    y = top
    if cells:
        nv = len(c.labels)
        # the table is as tall as its rows, and the notes follow right under it
        h = (len(cells) + 1) * TABLE_ROW_IN / A4[1]
        ax = fig.add_axes((0.03, top - h, 0.94, h))
        ax.axis("off")
        vw = min(0.065, 0.3 / nv)
        widths = [0.29, 0.075, *([vw] * nv), 0.06, 0.065, 0.185, 0.12]
        scale = 1.0 / sum(widths)
        tab = ax.table(cellText=cells, colLabels=head, cellColours=colours, bbox=(0, 0, 1, 1),
                       cellLoc="left", colLoc="left", colWidths=[w * scale for w in widths])
        tab.auto_set_font_size(False)
        tab.set_fontsize(6.3 if nv <= 4 else 5.5)
        y = top - h - 0.025
    notes = ["How to read: a change counts only when larger than the metric's minimal detectable "
             "change (MDC95). Where no MDC for running is published, the change is compared with "
             "the two sessions' own step-to-step noise (1.96·√(SE₁²+SE₂²)); that shows the change "
             "is not chance scatter within the sessions, but not that it exceeds day-to-day "
             "variation. 'not judged' = no threshold known. 'Better' gives the direction of "
             "improvement (↑ higher, ↓ lower, → toward the range, — none) for every row, "
             "whatever its verdict.", "Thresholds and their sources:"]
    sources = P.threshold_sources(c.rows)
    notes += [f"• {b}" for b in sources] or [
        "• one visit: nothing is compared yet; changes are judged from the second visit on."]
    warn = [f"Warning: {w}" for w in c.warnings]
    for n in warn + notes:
        for part in textwrap.wrap(n, 130):
            fig.text(0.05, y, part, fontsize=7.5, va="top",
                     color="#a31515" if n.startswith("Warning") else "black")
            y -= 0.016
        y -= 0.004


def _no_data(ax: Axes, title: str, text: str) -> None:
    """An empty panel that says why, instead of meaningless axes."""
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_color("#bbbbbb")
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=9,
            color="#555555", wrap=True)


def _pain_volume(ax: Axes, d: ReportData) -> None:
    """Pain NRS (line) and running volume (bars) of every logged visit, or "not logged"."""
    title = "Pain and running volume (logged at each visit)"
    logs = d.visit_log or d.logs
    pain = [np.nan if lg.pain_nrs is None else lg.pain_nrs for lg in logs]
    vol = [np.nan if lg.run_volume_km is None else lg.run_volume_km for lg in logs]
    has_pain, has_vol = bool(np.isfinite(pain).any()), bool(np.isfinite(vol).any())
    if not d.logged:
        _no_data(ax, title, "not logged\n(session files only: no visit log)")
        return
    if not has_pain and not has_vol:
        _no_data(ax, title, "pain and running volume\nnot logged at any visit")
        return
    xs = np.arange(len(logs))
    handles = []
    if has_vol:
        ax2 = ax.twinx()
        handles.append(ax2.bar(xs, vol, 0.4, color="#8fb3d9", alpha=0.6, label="running km/week"))
        ax2.set_ylabel("Running volume (km/week)")
        ax2.set_ylim(0, max(np.nanmax(vol) * 1.3, 1.0))
        for i in np.flatnonzero(~np.isfinite(vol)):  # a missing bar is not 0 km
            ax2.text(i, 0, "volume\nnot logged", ha="center", va="bottom", fontsize=6, color="#555555")
        ax.set_zorder(ax2.get_zorder() + 1)
        ax.patch.set_visible(False)
    if has_pain:
        handles += ax.plot(xs, pain, "o-", color="#a31515", label="pain NRS")
        ax.set_ylim(-0.5, 11.5)
        ax.set_ylabel("Pain (NRS 0–10)")
    else:
        ax.set_yticks([])
    ax.set_xticks(xs, [lg.date or "?" for lg in logs], fontsize=7)
    missing = [n for n, ok in (("pain", has_pain), ("running volume", has_vol)) if not ok]
    ax.set_title(title + (f"; {missing[0]} not logged" if missing else ""), fontsize=9)
    ax.legend(handles=handles, labels=[str(h.get_label()) for h in handles], fontsize=7,
              loc="upper right")


def _plots_page(fig: Figure, d: ReportData) -> None:
    fig.suptitle("Strength, step width, cadence and pain across visits", fontsize=13, weight="bold")
    labels = d.comparison.labels
    col = _colours(len(labels))
    axs = fig.subplots(2, 2, gridspec_kw={"hspace": 0.45, "wspace": 0.35,
                                          "left": 0.1, "right": 0.9, "top": 0.9, "bottom": 0.08})
    # strength per side: best peak force per visit, trials as dots; legend above the bars
    ax = axs[0, 0]
    w = 0.8 / max(len(labels), 1)
    top = 0.0
    for i, v in enumerate(d.visits):
        st = (v.metrics.get("strength") or {}).get("hip_abduction") or {}
        for j, side in enumerate(("L", "R")):
            sd = st.get(side) or {}
            pk = sd.get("peak_force_N")
            x = j + (i - (len(labels) - 1) / 2) * w
            if pk is not None:
                ax.bar(x, pk, w * 0.9, color=col[i], label=labels[i] if j == 0 else None)
                top = max(top, pk)
            tr = [t for t in sd.get("trials_N") or [] if t is not None]
            ax.plot([x] * len(tr), tr, "k.", ms=3)
            top = max([top, *tr])
    ax.set_xticks([0, 1], ["Left", "Right"])
    ax.set_ylabel("Hip abduction peak force (N)")
    ax.set_title("Strength per side (bars: best; dots: trials)", fontsize=9)
    if top > 0:
        ax.set_ylim(0, top * (1.12 + 0.07 * len(labels)))  # headroom for the legend
        ax.legend(fontsize=6, loc="upper center", ncol=1, framealpha=0.9)
    # step widths
    ax = axs[0, 1]
    data = [w_[np.isfinite(w_)] for w_ in d.step_widths]
    if any(x.size for x in data):
        parts = ax.violinplot([x if x.size else [np.nan] for x in data], showmeans=True)
        for body, c in zip(parts["bodies"], col, strict=False):
            body.set_facecolor(c)
            body.set_alpha(0.6)
        # the crossover line is named in the title: a label on the plot would cover a violin
        # or sit on the axis edge
        ax.axhline(0, color="#a31515", lw=1, ls="--")
        ax.set_xticks(range(1, len(labels) + 1), [lb.split(" ")[0] for lb in labels], fontsize=7)
        ax.set_ylabel("Step width (cm, signed)")
        ax.set_title("Step width distribution per visit\nred dashed line 0 cm: at or below = "
                     "crossover step", fontsize=9)
    else:
        _no_data(ax, "Step width distribution per visit", "no running steps in these files")
    # cadence, with the target band the comparison judges it against
    ax = axs[1, 0]
    cad = [(v.metrics.get("gait") or {}).get("cadence_spm") for v in d.visits]
    xs = np.arange(len(labels))
    row = next((r for r in d.comparison.rows if r.get("key") == "gait.cadence_spm"), None)
    if row is not None and row.get("target"):
        lo, hi = row["target"]
        ax.axhspan(lo, hi, color="#d8f0d8", label=f"target {lo:.0f}–{hi:.0f}")
        ax.legend(fontsize=7, loc="lower right")
    ax.plot(xs, [np.nan if c is None else c for c in cad], "o-", color="k")
    ax.set_xticks(xs, [lb.split(" ")[0] for lb in labels], fontsize=7)
    ax.set_ylabel("Cadence (steps/min)")
    ax.set_title("Cadence", fontsize=9)
    _pain_volume(axs[1, 1], d)


def _emg_page(fig: Figure, d: ReportData) -> None:
    fig.suptitle("EMG envelopes over the gait cycle (mean ± SD), visits overlaid", fontsize=13,
                 weight="bold")
    names = sorted({n for v in d.visits for n in v.ensembles})
    muscles = sorted({n.rsplit("_", 1)[0] for n in names}) or ["GMED"]
    col = _colours(len(d.visits))
    axs = np.atleast_2d(fig.subplots(len(muscles), 2, squeeze=False, gridspec_kw={
        "hspace": 0.5, "wspace": 0.25, "left": 0.1, "right": 0.95, "top": 0.9, "bottom": 0.07}))
    for i, m in enumerate(muscles):
        axs[i, 1].sharey(axs[i, 0])  # one amplitude scale per muscle: left and right comparable
        for j, side in enumerate(("L", "R")):
            ax = axs[i, j]
            name = f"{m}_{side}"
            unit = ""
            for k, v in enumerate(d.visits):
                e = v.ensembles.get(name)
                if e is None:
                    continue
                mean, sd = np.asarray(e["mean"]), np.asarray(e["sd"])
                x = np.linspace(0, 100, mean.size)
                ax.plot(x, mean, color=col[k], lw=1.2, label=f"{d.comparison.labels[k]} (n={e['n']})")
                ax.fill_between(x, mean - sd, mean + sd, color=col[k], alpha=0.15, lw=0)
                unit = e["unit"]
            ax.set_title(P.muscle_title(name) + ("" if unit else " — no data"), fontsize=9)
            ax.set_xlabel("% gait cycle (IC → next IC)", fontsize=7)
            ax.set_ylabel(unit, fontsize=7)
            ax.tick_params(labelsize=7)
            if i == 0 and j == 0:
                ax.legend(fontsize=6)


def render_pdf(d: ReportData, out: str | Path) -> Path:
    """Write the report; returns the path. Title/Subject/Keywords metadata summarise it.

    The PDF is written to a temporary file beside ``out`` and renamed, so a failure never
    leaves a half-written report; an unwritable path is a one-line GaitlabError."""
    out = check_writable(out, "--pdf", "report.pdf")
    aid = d.athlete.get("id", "unknown")
    rows = d.comparison.rows
    n_imp = sum(r["verdict"] == "improved" for r in rows)
    n_wor = sum(r["verdict"] == "worsened" for r in rows)
    ready = ("unknown" if d.status is None else "ready" if d.status.ready_to_run else
             "not ready: " + "; ".join(d.status.unmet))
    meta = {"Title": f"gaitlab ITBS report {aid}", "Author": f"gaitlab {__version__}",
            "Subject": f"{len(d.visits)} visits; {n_imp} improved, {n_wor} worsened; "
                       f"return to run: {ready}",
            "Keywords": ", ".join(r["label"] for r in rows)}
    pages = (_text_page, _table_page, _plots_page, _emg_page)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    except OSError as exc:
        raise GaitlabError(f"{out}: cannot write the report ({exc.strerror}); choose another "
                           "--pdf path") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh, PdfPages(fh, metadata=meta) as pdf:
            for page in pages:
                fig = Figure(figsize=A4)
                page(fig, d)
                pdf.savefig(fig)
        os.replace(tmp, out)
    except OSError as exc:
        raise GaitlabError(f"{out}: cannot write the report ({exc.strerror or exc}); choose "
                           "another --pdf path") from None
    finally:
        tmp.unlink(missing_ok=True)
    return out

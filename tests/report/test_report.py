"""The clinician report: a real PDF from the demo athlete, checked in Python and as PNGs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from gaitlab.analysis.pipeline import analyze_session
from gaitlab.registry import open_registry
from gaitlab.registry.importer import demo_folder, demo_visits, import_demo
from gaitlab.report.data import FILES_ONLY, gather, gather_athlete, registry_visits, step_widths_cm

N_PAGES = 4  # summary, comparison table, strength/gait plots, EMG ensembles


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def _pdf_info(pdf: bytes, key: str) -> str:
    """A document-info literal string: escapes and nested parentheses resolved, UTF-16 with
    a byte-order mark (matplotlib's choice for non-ASCII text) decoded."""
    m = re.search(rb"/" + key.encode() + rb"\s*\(", pdf)
    if m is None:
        return ""
    out, depth, i = bytearray(), 1, m.end()
    while i < len(pdf):
        c = pdf[i]
        if c == 0x5C:  # backslash: take the next byte literally (enough for info strings)
            i += 1
            out.append(pdf[i])
        elif c == 0x28:
            depth += 1
            out.append(c)
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                break
            out.append(c)
        else:
            out.append(c)
        i += 1
    raw = bytes(out)
    return raw[2:].decode("utf-16-be") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")


def _pdf_text(path: Path) -> list[str]:
    """The text of every page, as a PDF reader extracts it (PDFium via pypdfium2)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gaitlab", *args], capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def demo_pdf(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "demo.pdf"
    res = _run("report", "--demo", "--pdf", str(out))
    assert res.returncode == 0, res.stderr
    assert "demo-001" in res.stdout
    return out


def test_pdf_structure_and_summary_metadata(demo_pdf: Path) -> None:
    raw = demo_pdf.read_bytes()
    assert raw.startswith(b"%PDF") and _pdf_pages(raw) == N_PAGES
    assert "demo-001" in _pdf_info(raw, "Title")
    subject = _pdf_info(raw, "Subject")
    assert subject.startswith("3 visits") and "return to run" in subject
    keywords = _pdf_info(raw, "Keywords")
    assert "Step width" in keywords and "Hip abduction peak force R" in keywords


def test_pdf_text_has_the_table_headers_direction_and_readiness(demo_pdf: Path) -> None:
    summary, table, *_ = _pdf_text(demo_pdf)
    assert "Return to running: READY" in summary and "Program: itbs — week 8 of 12" in summary
    for h in ("Metric", "Better", "wk 0", "wk 4", "wk 8", "Change", "MDC / thr.", "Verdict", "Trend"):
        assert h in table, h
    assert "↑ higher" in table and "↓ lower" in table and "→ 90–110" in table
    assert "4.85" in table and not re.search(r"[-+]0\.0+(?![0-9])", table)  # no "-0.0" / "+0.00"
    assert "rows: Hip abduction peak force L, Hip abduction peak force R" in table.replace("\r\n", " ")


def test_pdf_plots_and_emg_pages_read_as_a_clinician_needs(demo_pdf: Path) -> None:
    _, table, plots, emg = _pdf_text(demo_pdf)
    assert "/wk" in table and "/we " not in table and "/vi " not in table
    assert "running km/week" in plots and "pain NRS" in plots  # both series in the legend
    assert "crossover" in plots and "target 170–180" in plots
    for title in ("Gluteus medius, left", "Gluteus medius, right", "Tensor fasciae latae, right",
                  "Gluteus maximus, left"):
        assert title in emg, title
    assert "GMED_R" not in emg and "TFL_L" not in emg


def test_figure_layout_shares_scales_and_keeps_the_legend_off_the_bars(demo_db) -> None:
    from matplotlib.figure import Figure

    from gaitlab.report import render

    d = gather_athlete(registry_visits(demo_db, "demo-001"))
    fig = Figure(figsize=render.A4)
    render._emg_page(fig, d)
    axes = fig.axes
    assert len(axes) == 6  # GMAX, GMED, TFL × left, right
    for left, right in zip(axes[0::2], axes[1::2], strict=True):
        assert left.get_ylim() == right.get_ylim(), (left.get_title(), right.get_title())
    fig = Figure(figsize=render.A4)
    render._plots_page(fig, d)
    strength = fig.axes[0]
    tallest = max(b.get_height() for b in strength.patches)
    fig.canvas.draw()  # the legend's box, in data units, must sit above every bar
    box = strength.get_legend().get_window_extent().transformed(strength.transData.inverted())
    assert box.y0 > tallest
    widths = fig.axes[1]
    assert not widths.texts  # the crossover line is named in the title, not on the axis edge
    assert "crossover" in widths.get_title()


def test_pain_panel_says_not_logged_instead_of_empty_axes(tmp_path) -> None:
    from matplotlib.figure import Figure

    from gaitlab.report import render

    files = sorted(str(p) for p in demo_folder().glob("*.h5"))
    d = gather(files[:1])  # one session file, no registry
    fig = Figure(figsize=render.A4)
    render._plots_page(fig, d)
    pain = fig.axes[3]
    assert [t.get_text() for t in pain.texts] == ["not logged\n(session files only: no visit log)"]
    assert not pain.get_yticks().size and "km/week" not in pain.get_ylabel()
    assert len(fig.axes) == 4  # no twin volume axis
    summary, table, plots, _ = _pdf_text(render.render_pdf(d, tmp_path / "one.pdf"))
    assert "nothing to compare yet" in summary and "not logged" in plots
    assert "one visit: nothing is compared yet" in table


def test_pdf_renders_to_readable_pngs(demo_pdf: Path, tmp_path) -> None:
    # PDFium (the PDF engine of Chromium, via pypdfium2) renders each page to a PNG, as a
    # reader's viewer would; the PNGs are kept in tmp_path for a person to look at.
    import pypdfium2 as pdfium
    from matplotlib.image import imread

    pdf = pdfium.PdfDocument(str(demo_pdf))
    assert len(pdf) == N_PAGES
    for i in range(len(pdf)):
        png = tmp_path / f"p-{i + 1}.png"
        pdf[i].render(scale=50 / 72).to_pil().save(png)
        img = imread(png)[..., :3]
        assert img.shape[0] > img.shape[1]  # A4 portrait
        ink = (img.mean(axis=2) < 0.5).mean()
        assert 0.003 < ink < 0.5, f"{png.name}: blank or solid page ({ink:.4f})"


def test_step_widths_match_the_stored_gait_metric() -> None:
    f = demo_folder() / "visit-2-week4.h5"
    res = analyze_session(f)
    w = step_widths_cm(res.contacts)
    g = res.metrics["gait"]
    assert w.size >= 10
    assert np.mean(w) == pytest.approx(g["step_width_cm"]["mean"], abs=0.01)
    assert 100 * np.mean(w <= 0) == pytest.approx(g["crossover_pct"], abs=0.01)
    assert step_widths_cm(None).size == 0


def test_report_from_files_and_bad_targets(tmp_path) -> None:
    files = sorted(str(p) for p in demo_folder().glob("*.h5"))
    out = tmp_path / "files.pdf"
    res = _run("report", files[0], files[-1], "--pdf", str(out))
    assert res.returncode == 0, res.stderr
    assert _pdf_pages(out.read_bytes()) == N_PAGES
    for args in (["nobody", "--db", str(tmp_path / "r.sqlite")], [files[0], "missing.h5"]):
        bad = _run("report", *args, "--pdf", str(tmp_path / "x.pdf"))
        assert bad.returncode != 0 and "Traceback" not in bad.stderr
        assert bad.stderr.strip().count("\n") == 0, bad.stderr
        assert not (tmp_path / "x.pdf").exists()


@pytest.fixture
def demo_db(tmp_path) -> Path:
    db = tmp_path / "r.sqlite"
    with open_registry(db) as r:
        import_demo(r)
    return db


def test_readiness_comes_from_the_latest_visit_even_without_a_file(demo_db, tmp_path) -> None:
    ready = gather_athlete(registry_visits(demo_db, "demo-001"))
    assert ready.status is not None and ready.status.ready_to_run  # week 8: all criteria met
    # a later visit is logged without a session file: pain 6/10, phase 3 painful, 0 pain-free days
    with open_registry(demo_db) as r:
        r.add_visit("demo-001", "reassessment", "2026-03-10", pain_nrs=6, pain_free_days=0,
                    phase3_pain_free=False)
    av = registry_visits(demo_db, "demo-001")
    assert len(av.paths) == 3 and len(av.all_logs) == 4 and av.all_logs[-1].file == ""
    d = gather_athlete(av)
    s = d.status
    assert s is not None and not s.ready_to_run
    assert s.week == 10  # 2026-03-10 is day 63 after the start on 2026-01-06: week 10
    assert any("6/10" in u for u in s.unmet) and any("only 0 days" in u for u in s.unmet)
    assert any("phase 3" in u for u in s.unmet)
    out = tmp_path / "late.pdf"
    from gaitlab.report.render import render_pdf

    page1 = _pdf_text(render_pdf(d, out))[0]
    assert "Return to running: NOT READY (at the visit of 2026-03-10)" in page1
    assert "2026-03-10 reassessment week 10 pain 6/10 running not logged file no session file" in page1


def test_program_week_from_the_enrolment_start(demo_db) -> None:
    _, logged = demo_visits()
    d = gather_athlete(registry_visits(demo_db, "demo-001"))
    # the shipped demo is consistent with the rule: logged weeks = weeks from the dates
    assert [lg.program_week for lg in d.visit_log] == [lg["week"] for lg in logged] == [0, 4, 8]
    assert not d.warnings and d.status is not None and d.status.week == 8
    with open_registry(demo_db) as r:  # a visit logged without a week: counted from the start
        r.add_visit("demo-001", "reassessment", "2026-02-16", pain_nrs=1)  # day 41: week 6
        r.add_visit("demo-001", "reassessment", "2026-02-20", week=9)  # day 45 is week 7
    d = gather_athlete(registry_visits(demo_db, "demo-001"))
    assert [lg.shown_week for lg in d.visit_log] == [0, 4, 6, 7, 8]
    assert len(d.warnings) == 1 and "logged as week 9, but it is week 7" in d.warnings[0]


def test_report_from_files_leaves_the_program_unknown(tmp_path) -> None:
    files = sorted(str(p) for p in demo_folder().glob("*.h5"))
    d = gather(files)
    assert d.status is None and d.program_note == FILES_ONLY
    out = tmp_path / "files.pdf"
    res = _run("report", *files, "--pdf", str(out))
    assert res.returncode == 0 and "readiness unknown" in res.stdout
    page1 = _pdf_text(out)[0]
    assert "readiness: unknown" in page1 and "week 1" not in page1 and "not logged" not in page1


def test_unwritable_pdf_path_is_one_line_error(tmp_path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    cases = {tmp_path / "no-such-folder" / "r.pdf": "does not exist",
             tmp_path: "is a folder",
             a_file / "r.pdf": "is a file, not a folder",
             a_file / "sub" / "r.pdf": "is a file, not a folder"}
    for path, expect in cases.items():
        bad = _run("report", "--demo", "--pdf", str(path))
        assert bad.returncode != 0 and "Traceback" not in bad.stderr, bad.stderr
        assert bad.stderr.strip().count("\n") == 0 and expect in bad.stderr, bad.stderr
    assert not (tmp_path / "no-such-folder").exists()  # a mistyped path makes no folders
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]  # no temporary files left


def test_report_warns_about_belt_speeds(tmp_path) -> None:
    files = sorted(demo_folder().glob("*.h5"))
    fast = tmp_path / "fast.h5"
    shutil.copy(files[-1], fast)
    with h5py.File(fast, "r+") as h:
        extras = json.loads(h["analysis"].attrs["extras_json"])
        extras["gait_temporal"]["belt_speed_mps"] = 3.4
        h["analysis"].attrs["extras_json"] = json.dumps(extras)
    d = gather([files[0], fast], program="itbs")  # the program's assessment fixes 3.0 m/s
    assert any("different belt speeds" in w for w in d.warnings)
    assert any("assessment protocol's 3 m/s: fast.h5 3.4" in w for w in d.warnings)
    from gaitlab.report.render import render_pdf

    summary, table, *_ = _pdf_text(render_pdf(d, tmp_path / "r.pdf"))
    assert "different belt speeds" in summary and "Warning: visits were run at different" in table

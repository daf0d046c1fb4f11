"""The clinician report: a real PDF from the demo athlete, checked in Python and as PNGs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gaitlab.analysis.pipeline import analyze_session
from gaitlab.registry.importer import demo_folder
from gaitlab.report.data import step_widths_cm

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

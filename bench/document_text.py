"""Benchmark: reading documents' text (resources/extraction.py), one run.

Generates, deterministically, a PDF, a Word file, a workbook, a presentation
and a text file of a given size, reads each in the bounded child process the
worker uses, and prints wall time, units and characters per file, together
with the baseline measured in the same run: reading a one-line text file
(the cost of starting the child alone). Then the hostile cases: a zip-bomb
Word file (60 MB of XML in a 60 kB zip) and a PDF whose page tree claims a
billion pages, with how long each took to be refused.

    .venv/bin/python bench/document_text.py --pages 100

No database or Django is needed.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resources.extraction import ExtractionError, extract_file  # noqa: E402

WORDS = (
    "task force victim services referral protocol interview survivor recruitment labor trafficking "
    "deconfliction investigation prosecutor advocate shelter housing interpreter screening indicators "
    "coordinator meeting evidence financial records outreach training agency partner"
).split()


def _paragraph(rng, words=120):
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def billion_page_pdf():
    """A valid PDF of one page whose page tree says it has a billion."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, NumberObject

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer._root_object["/Pages"][NameObject("/Count")] = NumberObject(10**9)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_files(directory, pages, rng):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    for _ in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 5, "\n\n".join(_paragraph(rng) for _ in range(3)))
    (directory / "doc.pdf").write_bytes(bytes(pdf.output()))

    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    for i in range(pages):
        if i:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        document.add_heading(f"Part {i + 1}", level=1)
        for _ in range(3):
            document.add_paragraph(_paragraph(rng))
    document.save(directory / "doc.docx")

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in range(pages * 20):
        sheet.append([row, rng.choice(WORDS), rng.choice(WORDS), rng.randint(1, 5000)])
    workbook.save(directory / "doc.xlsx")

    from pptx import Presentation

    presentation = Presentation()
    for i in range(pages):
        slide = presentation.slides.add_slide(presentation.slide_layouts[1])
        slide.shapes.title.text = f"Slide {i + 1}"
        slide.placeholders[1].text = _paragraph(rng, 60)
    presentation.save(directory / "doc.pptx")

    (directory / "doc.txt").write_text("\n".join(_paragraph(rng, 15) for _ in range(pages * 30)))
    (directory / "baseline.txt").write_text("one line\n")

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b" " * (60 * 1024 * 1024))
    (directory / "bomb.docx").write_bytes(bomb.getvalue())
    (directory / "pages.pdf").write_bytes(billion_page_pdf())


def timed(path, repeat):
    times, result, error = [], None, ""
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            result = extract_file(path, path.suffix)
        except ExtractionError as exc:
            error = str(exc)
        times.append(time.perf_counter() - started)
    return statistics.median(times), result, error


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100, help="pages, slides and parts per file")
    parser.add_argument("--repeat", type=int, default=3, help="reads of each file (the median is shown)")
    args, _others = parser.parse_known_args()  # run_all.py passes every script the same options
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        make_files(directory, args.pages, random.Random(11))
        baseline, _r, _e = timed(directory / "baseline.txt", args.repeat)
        print(f"pages/slides per file: {args.pages}; median of {args.repeat} reads")
        print(f"{'file':<12} {'size kB':>8} {'ms':>8} {'x baseline':>10} {'units':>6} {'chars':>9}  note")
        print(f"{'baseline.txt':<12} {0:>8} {baseline * 1000:>8.0f} {1:>10.1f} {1:>6} {8:>9}  child start-up")
        for name in ("doc.pdf", "doc.docx", "doc.xlsx", "doc.pptx", "doc.txt", "bomb.docx", "pages.pdf"):
            path = directory / name
            seconds, result, error = timed(path, args.repeat)
            units = len(result.units) if result else 0
            chars = result.characters if result else 0
            note = f"refused: {error}" if error else ("truncated" if result.truncated else "")
            print(
                f"{name:<12} {path.stat().st_size // 1024:>8} {seconds * 1000:>8.0f} "
                f"{seconds / baseline:>10.1f} {units:>6} {chars:>9}  {note}"
            )


if __name__ == "__main__":
    main()

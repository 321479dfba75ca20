"""The words inside uploaded documents, so that search finds a resource by
what its PDF or Office file says, and a member sees where it says it.

:func:`extract_file` reads PDF (pypdf), Word .docx (python-docx), Excel .xlsx
(openpyxl), PowerPoint .pptx (python-pptx) and plain-text files and returns
their text in *units* a reader can find again: a PDF's pages, a
presentation's slides, a workbook's sheets, a Word document's pages (when
Word recorded where its pages break) or sections under its headings, a text
file's lines.

Every file is untrusted (members upload them), so the work is bounded:

* It runs in a child process (``python -m resources.extraction``) with a
  wall-clock timeout, a CPU-time limit and an address-space limit. A parser
  that loops or a decompression bomb that eats memory kills the child, not
  the worker; the document is recorded as unreadable.
* An Office file is a zip: its members' declared sizes and compression
  ratios are checked before any XML is parsed, so a "zip bomb" DOCX is
  refused without being inflated.
* At most ``MAX_UNITS`` pages, slides or sheets, ``MAX_CELLS`` spreadsheet
  cells and ``MAX_CHARS`` characters are kept, with a deadline checked
  between units; what is left out is reported as ``truncated``.

Nothing here imports Django, so the child starts in a fraction of a second.
"""

import json
import logging
import os
import re
import subprocess
import sys
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

EXTENSIONS = (".pdf", ".docx", ".xlsx", ".pptx", ".txt")
TIMEOUT_SECONDS = 30
CPU_SECONDS = 30
MEMORY_BYTES = 1024 * 1024 * 1024
MAX_UNITS = 500
MAX_CHARS = 500_000
MAX_CELLS = 200_000
# A unit longer than this is cut into parts, so a snippet can reach every word
# (the highlighter reads the first 20,000 characters of a text).
UNIT_CHARS = 8_000
# Zip members of an Office file: in all, and how much one may inflate.
MAX_INFLATED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200
PROJECT_DIR = Path(__file__).resolve().parent.parent


class ExtractionError(Exception):
    """The file cannot be read (malformed, hostile, too slow, unsupported)."""


@dataclass
class Unit:
    """One place in a document: ``label`` says where ("page 3")."""

    label: str
    text: str


@dataclass
class Extracted:
    units: list = field(default_factory=list)
    truncated: bool = False

    @property
    def characters(self):
        return sum(len(unit.text) for unit in self.units)


class _Budget:
    """Characters, units and time left; ``add`` returns False once spent."""

    def __init__(self, *, max_chars, max_units, deadline):
        self.chars = max_chars
        self.units = max_units
        self.deadline = deadline
        self.result = Extracted()

    def spent(self):
        return self.chars <= 0 or self.units <= 0 or time.monotonic() > self.deadline

    def add(self, label, text):
        if self.spent():
            self.result.truncated = True
            return False
        text = _clean(text)
        if not text:
            return True
        if len(text) > self.chars:
            text, self.result.truncated = text[: self.chars], True
        for part_label, part in _split(label, text):
            if self.units <= 0:
                self.result.truncated = True
                return False
            self.result.units.append(Unit(part_label, part))
            self.units -= 1
        self.chars -= len(text)
        return not self.spent()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")
_SPACES = re.compile(r"[ \t\xa0]+")


def _clean(text):
    # No control or direction-override characters: this text is shown to members.
    text = _CONTROL.sub(" ", str(text or ""))
    text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def _split(label, text):
    if len(text) <= UNIT_CHARS:
        return [(label, text)]
    parts, start = [], 0
    while start < len(text):
        stop = min(len(text), start + UNIT_CHARS)
        if stop < len(text):
            cut = max(text.rfind("\n", start, stop), text.rfind(". ", start, stop))
            stop = cut + 1 if cut > start + UNIT_CHARS // 2 else stop
        parts.append(text[start:stop].strip())
        start = stop
    return [(f"{label}, part {i}", part) for i, part in enumerate(parts, 1) if part]


def _check_zip(path):
    """Refuse an Office file whose zip would inflate beyond reason, before
    any of it is inflated."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ExtractionError(f"not a readable Office file ({exc})") from exc
    if len(members) > 10_000:
        raise ExtractionError("too many parts in the Office file")
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > 1024 * 1024 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise ExtractionError(f"a part inflates {member.file_size // max(member.compress_size, 1)}-fold")
    if total > MAX_INFLATED_BYTES:
        raise ExtractionError(f"the Office file inflates to {total // (1024 * 1024)} MB")


# ----------------------------------------------------------------- formats


def _pdf(path, budget):
    from pypdf import PdfReader

    reader = PdfReader(path, strict=False)
    if reader.is_encrypted:
        try:
            reader.decrypt("")  # many "protected" PDFs open with an empty password
        except Exception as exc:  # noqa: BLE001
            raise ExtractionError("the PDF is encrypted") from exc
    pages = reader.pages
    # A page tree may claim more pages than it holds: never trust the count
    # further than the budget allows, and stop at the first missing page.
    count = len(pages)
    limit = min(count, budget.units)
    for number in range(limit):
        try:
            text = pages[number].extract_text() or ""
        except IndexError:
            return
        if not budget.add(f"page {number + 1}", text):
            budget.result.truncated = budget.result.truncated or number + 1 < count
            return
    if limit < count:
        budget.result.truncated = True


def _docx(path, budget):
    _check_zip(path)  # before the reader is even imported
    import docx
    from docx.table import Table

    document = docx.Document(path)
    blocks = []
    for block in document.iter_inner_content():
        if budget.spent():
            budget.result.truncated = True
            break
        if isinstance(block, Table):
            rows = []
            for row in block.rows:
                rows.append(" | ".join(dict.fromkeys(cell.text.strip() for cell in row.cells)))
            blocks.append(("table", "\n".join(rows), 0, 0))
            continue
        element = block._p
        rendered = len(element.xpath(".//w:lastRenderedPageBreak"))
        explicit = len(element.xpath(".//w:br[@w:type='page']"))
        style = (block.style.name if block.style is not None else "") or ""
        heading = style.startswith("Heading") or style == "Title"
        blocks.append(("heading" if heading else "text", block.text, rendered, explicit))
    rendered_total = sum(b[2] for b in blocks)
    explicit_total = sum(b[3] for b in blocks)
    if rendered_total or explicit_total:
        # Word records where it last broke the pages; a document written by
        # a program may only have explicit breaks.
        index = 2 if rendered_total else 3
        page, lines = 1, []
        for block in blocks:
            lines.append(block[1])
            if block[index]:
                if not budget.add(f"page {page}", "\n".join(lines)):
                    return
                page, lines = page + block[index], []
        budget.add(f"page {page}", "\n".join(lines))
        return
    label, lines = "the opening", []
    for kind, text, _r, _e in blocks:
        if kind == "heading" and text.strip():
            if "\n".join(lines).strip() and not budget.add(label, "\n".join(lines)):
                return
            label, lines = f"section “{text.strip()[:80]}”", [text]
        else:
            lines.append(text)
    budget.add(label if label != "the opening" or budget.result.units else "the document", "\n".join(lines))


def _xlsx(path, budget):
    _check_zip(path)
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    cells = MAX_CELLS
    try:
        for sheet in workbook.worksheets:
            lines = []
            for row in sheet.iter_rows(values_only=True):
                values = [str(v) for v in row if v not in (None, "")]
                cells -= max(len(row), 1)
                if values:
                    lines.append(" | ".join(values))
                if cells <= 0 or time.monotonic() > budget.deadline:
                    budget.result.truncated = True
                    break
            if not budget.add(f"sheet “{sheet.title[:80]}”", "\n".join(lines)) or cells <= 0:
                return
    finally:
        workbook.close()


def _shape_text(shape):
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        yield shape.text_frame.text
    if getattr(shape, "has_table", False) and shape.has_table:
        for row in shape.table.rows:
            yield " | ".join(cell.text for cell in row.cells)
    for child in getattr(shape, "shapes", ()):  # a group
        yield from _shape_text(child)


def _pptx(path, budget):
    _check_zip(path)
    from pptx import Presentation

    presentation = Presentation(path)
    for number, slide in enumerate(presentation.slides, 1):
        parts = [text for shape in slide.shapes for text in _shape_text(shape)]
        if slide.has_notes_slide:
            parts.append(
                slide.notes_slide.notes_text_frame.text if slide.notes_slide.notes_text_frame else ""
            )
        if not budget.add(f"slide {number}", "\n".join(parts)):
            return


def _txt(path, budget):
    with open(path, "rb") as handle:
        raw = handle.read(budget.chars * 4 + 4)
    text = raw.decode("utf-8", errors="replace")
    if len(raw) > budget.chars * 4:
        budget.result.truncated = True
    lines = text.splitlines()
    first, chunk, size = 1, [], 0
    for number, line in enumerate(lines, 1):
        chunk.append(line)
        size += len(line) + 1
        if size >= UNIT_CHARS // 2 or number == len(lines):
            label = f"line {first}" if first == number else f"lines {first}–{number}"
            if not budget.add(label, "\n".join(chunk)):
                return
            first, chunk, size = number + 1, [], 0


READERS = {".pdf": _pdf, ".docx": _docx, ".xlsx": _xlsx, ".pptx": _pptx, ".txt": _txt}


def extract_here(path, extension, *, timeout=TIMEOUT_SECONDS, max_chars=MAX_CHARS, max_units=MAX_UNITS):
    """Extract in this process (the child calls this). Raises ExtractionError."""
    reader = READERS.get(extension.lower())
    if reader is None:
        raise ExtractionError(f"files of type {extension or '(none)'} have no text to read")
    budget = _Budget(max_chars=max_chars, max_units=max_units, deadline=time.monotonic() + timeout)
    try:
        reader(str(path), budget)
    except ExtractionError:
        raise
    except MemoryError as exc:
        raise ExtractionError("the file needs more memory than allowed") from exc
    except Exception as exc:  # noqa: BLE001 - any parser error means "unreadable"
        raise ExtractionError(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    return budget.result


def _limit_self():
    """The child's first act: a CPU-time and an address-space limit, so a
    parser that spins or a bomb that inflates is stopped by the kernel."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not a POSIX system: the timeout still holds
        return
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 5))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def extract_file(path, extension, *, timeout=TIMEOUT_SECONDS, max_chars=MAX_CHARS, max_units=MAX_UNITS):
    """The text of the file at ``path`` as an :class:`Extracted`, read in a
    child process that is killed after ``timeout`` seconds. Raises
    ExtractionError when the file cannot be read."""
    extension = extension.lower()
    if extension not in READERS:
        raise ExtractionError(f"files of type {extension or '(none)'} have no text to read")
    command = [
        sys.executable,
        "-m",
        "resources.extraction",
        str(path),
        extension,
        str(max_chars),
        str(max_units),
        str(timeout),
    ]
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(PROJECT_DIR), "LC_ALL": "C.UTF-8"}
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module, no shell
            command,
            capture_output=True,
            timeout=timeout,
            cwd=PROJECT_DIR,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ExtractionError(f"reading the file took longer than {timeout} s") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = message[-1][:300] if message else f"the reader stopped (exit status {done.returncode})"
        raise ExtractionError(detail)
    try:
        payload = json.loads(done.stdout)
    except ValueError as exc:
        raise ExtractionError("the reader's answer was unreadable") from exc
    return Extracted(
        units=[Unit(str(u["label"]), str(u["text"])) for u in payload["units"]][:max_units],
        truncated=bool(payload["truncated"]),
    )


def _main(argv):
    _limit_self()
    path, extension = argv[0], argv[1]
    max_chars, max_units, timeout = int(argv[2]), int(argv[3]), float(argv[4])
    try:
        # The parent kills this process at ``timeout``; stopping a little
        # earlier keeps what was read by then.
        result = extract_here(
            path, extension, timeout=timeout * 0.8, max_chars=max_chars, max_units=max_units
        )
    except ExtractionError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    sys.stdout.write(json.dumps({"units": [asdict(u) for u in result.units], "truncated": result.truncated}))
    return 0


if __name__ == "__main__":
    # pypdf logs every oddity of a malformed file; the parent records one line.
    logging.disable(logging.WARNING)
    sys.exit(_main(sys.argv[1:]))

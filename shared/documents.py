"""Printed documents (PDF): the one Chinese font, the A4 page frame, tables, QR codes, and how a service serves a
document — once, for every service that prints something.

Why these parts:
- The font is Noto Sans SC (SIL Open Font License) from the `pylopdf-fonts-zh-cn` wheel, a dependency of the
  project: `make install` puts it on every machine, so a fresh server prints Chinese without system fonts. The
  whole font is embedded as a subset of the characters a document uses (names are arbitrary: no fixed subset
  of the font could be shipped instead).
- fpdf2 writes the PDF (it embeds OpenType/CFF fonts, which that font is); segno computes the QR code, drawn
  here as vector squares, so that a poster stays sharp at any print size and a phone reads it from a wall.
- Rendering costs CPU (a few tenths of a second a document, mostly the font's subset): it runs on a small pool
  of threads of its own, never on the event loop, and a queue longer than `MAX_WAITING` is refused with 503 and
  Retry-After rather than letting public documents tie up the service.
"""

from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import segno
from fpdf import FPDF
from fpdf.enums import Align, TextMode, XPos, YPos

from shared.categories import CATEGORY_NAMES
from shared.clock import CHINA
from shared.document_serving import MAX_WAITING, PDF_MEDIA_TYPE, RENDER_THREADS, pdf_response, pdf_responses, render

FONT_FAMILY = "NotoSansSC"
INK = (33, 37, 41)
MUTED = (108, 117, 125)
ACCENT = (178, 34, 34)  # the red of official notices
RULE = (206, 212, 218)
SHADE = (241, 243, 245)

CASE_KINDS = {"request": "求助诉求", "dispute": "矛盾纠纷", "suggestion": "意见建议", "opinion": "社情民意"}
CATEGORIES = {code: zh for code, (zh, _) in CATEGORY_NAMES.items()}
"""Each category by its one name (shared.categories), as the app shows it."""
CASE_STATUSES = {
    "submitted": "已收到",
    "assigned": "已交给代表",
    "accepted": "代表已受理",
    "in_progress": "正在办理",
    "referred": "已转交有关部门",
    "mediating": "正在调解",
    "resolved": "已办好，待确认",
    "closed": "已办结",
    "reopened": "重新办理",
    "escalated": "已催办",
    "merged": "已合并办理",
    "withdrawn": "已撤回",
    "rejected": "不予受理",
    "returned": "已退回重新分派",
}
GRID_LEVELS = {"township": "乡镇（街道）", "village": "村（社区）", "group": "村民小组"}
"""The words documents print for the codes the services keep (the PWA's catalogues say the same on screen)."""


def label(words: dict[str, str], code: str | None) -> str:
    """The printed word for a code; an unknown code as it is (never a blank)."""
    return words.get(code or "", code or "—")


@cache
def font_path() -> Path:
    """Noto Sans SC, installed with the project (pyproject: pylopdf-fonts-zh-cn)."""
    try:
        from pylopdf_fonts_zh_cn import sans_path
    except ImportError as missing:  # pragma: no cover - a broken install, said plainly
        raise RuntimeError("The Chinese font is missing: run `make install` (package pylopdf-fonts-zh-cn)") from missing
    path = Path(sans_path())
    if not path.is_file():  # pragma: no cover
        raise RuntimeError(f"The Chinese font file {path} is missing: reinstall pylopdf-fonts-zh-cn")
    return path


def china_time(at: datetime) -> str:
    """A moment as people in China read it: 2026年12月3日 14:05."""
    local = at.astimezone(CHINA)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def china_day(at: datetime | date) -> str:
    local = at.astimezone(CHINA) if isinstance(at, datetime) else at
    return f"{local.year}年{local.month}月{local.day}日"


def yuan(fen: int) -> str:
    """Money kept in fen, printed in yuan: ¥12,345.60."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


NO_LINE_START = frozenset("，。、；：！？）》」』】〉”’…—·%,.;:!?)]}")
NO_LINE_END = frozenset("（《「『【〈“‘([{¥$")


def _no_break(keep: str, carry: str) -> bool:
    return carry[0] in NO_LINE_START or keep[-1] in NO_LINE_END or _inside_word(keep, carry)


def _inside_word(keep: str, carry: str) -> bool:
    """Whether a break between `keep` and `carry` would split a Latin word or a number (12:30, 2026, D9001)."""
    before, after = keep[-1], carry[0]
    return before.isascii() and before.isalnum() and after.isascii() and (after.isalnum() or after in ":.-/")


class Document(FPDF):
    """An A4 document in Chinese: a running head (issuer and title), page numbers, and the building blocks the
    services' documents are made of. `running_head=False` leaves pages bare (posters)."""

    def __init__(self, title: str, *, issuer: str, printed_at: datetime, running_head: bool = True) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.add_font(FONT_FAMILY, fname=str(font_path()))
        for font in self.fonts.values():  # embedded as its CFF table alone: the sfnt's own boxes are never read,
            font.ttfont.recalcBBoxes = False  # and recomputing them from every glyph's outline halves the writing
        self.doc_title, self.issuer, self.printed_at, self.running_head = title, issuer, printed_at, running_head
        self.part = ""
        """What the pages being written belong to (a deputy's name in a township's file): in the footer."""
        self.set_title(title)
        self.set_author(issuer)
        self.set_creator("deputies-in-the-grid")
        self.set_lang("zh-CN")
        self.set_creation_date(printed_at)
        self.set_margins(18, 20, 18)
        self.set_auto_page_break(True, margin=18)
        self.set_text_color(*INK)
        self.set_font(FONT_FAMILY, size=11)

    # -------------------------------------------------------------- the frame

    def header(self) -> None:
        if not self.running_head:
            return
        self.set_font(FONT_FAMILY, size=8)
        self.set_text_color(*MUTED)
        self.set_xy(self.l_margin, 9)
        self.cell(self.epw / 2, 5, self.issuer, align=Align.L)
        self.cell(self.epw / 2, 5, self.doc_title, align=Align.R)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(self.l_margin, 15, self.w - self.r_margin, 15)
        self.set_text_color(*INK)
        self.set_y(self.t_margin)

    def footer(self) -> None:
        if not self.running_head:
            return
        self.set_y(-13)
        self.set_font(FONT_FAMILY, size=8)
        self.set_text_color(*MUTED)
        printed = f"打印于 {china_time(self.printed_at)}"
        left = f"{self.part} · {printed}" if self.part else printed
        self.cell(self.epw / 2, 5, left, align=Align.L)
        self.cell(self.epw / 2, 5, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align=Align.R)
        self.set_text_color(*INK)

    # -------------------------------------------------------------- text

    @contextmanager
    def bold(self, size: float) -> Any:
        """Bold type: the font has one weight, so strokes are thickened by outlining the glyphs in their colour."""
        self.set_font(FONT_FAMILY, size=size)
        self.set_line_width(size * 0.018)
        self.set_draw_color(*self.text_color_rgb())
        previous, self.text_mode = self.text_mode, TextMode.FILL_STROKE
        try:
            yield
        finally:
            self.text_mode = previous

    def text_color_rgb(self) -> tuple[int, int, int]:
        colour = self.text_color
        values = getattr(colour, "colors255", None) or (0, 0, 0)
        return (int(values[0]), int(values[1]), int(values[2])) if len(values) >= 3 else (int(values[0]),) * 3

    def title_block(self, title: str, subtitle: str | None = None, *, colour: tuple[int, int, int] = INK) -> None:
        self.set_text_color(*colour)
        self.set_x(self.l_margin)
        with self.bold(20):
            self.text_block(title, self.epw, 11, align="C")
        self.set_text_color(*INK)
        if subtitle:
            self.set_font(FONT_FAMILY, size=11)
            self.set_text_color(*MUTED)
            self.text_block(subtitle, self.epw, 6, align="C")
            self.set_text_color(*INK)
        self.ln(4)

    def section(self, title: str) -> None:
        """A numbered part's heading with a rule under it; a new page when fewer than 30 mm are left."""
        if self.get_y() > self.h - self.b_margin - 25:
            self.add_page()
        self.ln(2)
        with self.bold(13):
            self.cell(0, 7.5, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*ACCENT)
        self.set_line_width(0.5)
        self.line(self.l_margin, self.get_y(), self.l_margin + 20, self.get_y())
        self.ln(2)
        self.set_font(FONT_FAMILY, size=11)

    def lines(self, text: str, width: float) -> list[str]:
        """`text` broken into lines of at most `width` mm in the current font, the Chinese way: between any two
        characters, but never before a closing mark (，。、) nor after an opening one (（“): the character before
        goes down with it. Latin words and numbers stay whole where they fit. (Widths are summed from the font's
        advance widths: no shaping, which Chinese does not need.)"""
        advance = self.current_font.cw
        scale = self.font_size * 0.001
        lines: list[str] = []
        for paragraph in text.split("\n"):
            line, used = "", 0.0
            for char in paragraph:
                size = advance[ord(char)] * scale
                if not line or used + size <= width:
                    line, used = line + char, used + size
                    continue
                keep, carry = line, char
                while len(keep) > 1 and _no_break(keep, carry):
                    keep, carry = keep[:-1], keep[-1] + carry
                    if len(carry) > 12:  # a long unbreakable run: break it where it is
                        keep, carry = line, char
                        break
                lines.append(keep)
                line, used = carry, sum(advance[ord(c)] for c in carry) * scale
            lines.append(line)
        return lines

    def text_block(self, text: str, width: float = 0, height: float = 6.0, *, align: str = "L") -> None:
        """Prose in a column `width` mm wide (0: to the right margin) from the current position, broken by `lines`."""
        width = width or (self.w - self.r_margin - self.get_x())
        x = self.get_x()
        for line in self.lines(text, width - 2 * self.c_margin):
            self.set_x(x)
            self.cell(width, height, line, align=align, new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_x(x)

    def paragraph(self, text: str, *, size: float = 11, colour: tuple[int, int, int] = INK, align: str = "L") -> None:
        self.set_font(FONT_FAMILY, size=size)
        self.set_text_color(*colour)
        self.set_x(self.l_margin)
        self.text_block(text, self.epw, size * 0.55, align=align)
        self.set_text_color(*INK)
        self.ln(1.5)

    def note(self, text: str) -> None:
        self.paragraph(text, size=9, colour=MUTED, align="L")

    # -------------------------------------------------------------- tables

    def facts(self, rows: Iterable[tuple[str, str]], *, label_width: float = 32) -> None:
        """Label and value pairs, one a line, between light rules (a profile, a notice's particulars)."""
        shown = [[label, value or "—"] for label, value in rows]
        self.set_font(FONT_FAMILY, size=11)
        self._table(shown, [label_width, self.epw - label_width], line_height=5.6, padding=(1.6, 2), ruled=True)
        self.ln(2)

    def grid_table(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[str | None]],
        widths: Sequence[float],
        *,
        empty: str = "无",
        size: float = 9.5,
    ) -> None:
        """A table with a shaded heading row repeated on every page; `widths` are shares of the line; a None cell
        prints as a dash. With no rows, the `empty` line is written instead (a blank table says nothing)."""
        if not rows:
            self.paragraph(empty, size=10, colour=MUTED)
            return
        self.set_font(FONT_FAMILY, size=size)
        total = sum(widths)
        columns = [self.epw * width / total for width in widths]
        shown = [["—" if value is None else value for value in row] for row in rows]
        self._table(shown, columns, heading=list(headings), line_height=size * 0.5, padding=(1.4, 1.5))
        self.set_font(FONT_FAMILY, size=11)
        self.ln(2)

    def _table(
        self,
        rows: list[list[str]],
        columns: Sequence[float],
        *,
        heading: list[str] | None = None,
        line_height: float,
        padding: tuple[float, float],
        ruled: bool = False,
    ) -> None:
        """Rows of wrapped cells; a row never splits across pages, the heading is repeated on each page. `ruled`:
        rules between rows and the first column muted (label and value); else a grid of cells. Written with the
        page's low-level text and rectangles: a township's file has tens of thousands of cells."""
        pad_y, pad_x = padding
        baseline = line_height / 2 + 0.36 * self.font_size
        left, right, bottom = self.l_margin, self.l_margin + sum(columns), self.h - self.b_margin
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)

        def wrapped(cells: list[str]) -> tuple[list[list[str]], float]:
            parts = [self.lines(text, width - 2 * pad_x) for text, width in zip(cells, columns, strict=True)]
            return parts, max(len(part) for part in parts) * line_height + 2 * pad_y

        def paint(parts: list[list[str]], height: float, shade: bool = False) -> None:
            top = self.get_y()
            if shade:
                with self.local_context():
                    self.set_fill_color(*SHADE)
                    self.rect(left, top, right - left, height, style="F")
            x = left
            for index, (lines, width) in enumerate(zip(parts, columns, strict=True)):
                self.set_text_color(*(MUTED if ruled and index == 0 else INK))
                for number, line in enumerate(lines):
                    self.text(x + pad_x, top + pad_y + number * line_height + baseline, line)
                if not ruled:
                    self.rect(x, top, width, height, style="D")
                x += width
            if ruled:
                self.line(left, top + height, right, top + height)
            self.set_text_color(*INK)
            self.set_y(top + height)

        head = wrapped(heading) if heading else None
        first = True
        for row in rows:
            parts, height = wrapped(row)
            needed = height + (head[1] if head and first else 0)
            if self.get_y() + needed > bottom:
                self.add_page()
                first = True
            if head and first:
                paint(*head, shade=True)
            first = False
            paint(parts, height)

    # -------------------------------------------------------------- QR codes

    def qr(self, link: str, x: float, y: float, size: float) -> None:
        """`link` as a QR code, `size` mm square with its quiet zone, drawn as vector squares (error correction M:
        a poster on a village wall gets dirty)."""
        code = segno.make(link, error="m", micro=False)
        matrix = [list(row) for row in code.matrix]
        modules = len(matrix) + 8  # four modules of quiet zone each side
        step = size / modules
        with self.local_context():  # the colours are the page's again afterwards (fpdf2 colours text by them)
            self.set_fill_color(255, 255, 255)
            self.rect(x, y, size, size, style="F")
            self.set_fill_color(0, 0, 0)
            for row_index, row in enumerate(matrix):
                column = 0
                while column < len(row):  # one rectangle per run of dark modules: fewer paths, no hairline seams
                    if not row[column]:
                        column += 1
                        continue
                    start = column
                    while column < len(row) and row[column]:
                        column += 1
                    left, top = x + (start + 4) * step, y + (row_index + 4) * step
                    self.rect(left, top, (column - start) * step, step, style="F")

    def output_bytes(self) -> bytes:
        return bytes(self.output())


__all__ = ["MAX_WAITING", "PDF_MEDIA_TYPE", "RENDER_THREADS", "Document", "pdf_response", "pdf_responses", "render"]

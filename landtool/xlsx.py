"""Tables to XLSX sheets, for the reports (:mod:`landtool.report`): cells, styles, widths.

Every sheet gets the same treatment:

* a bold, shaded, frozen header row, an autofilter over the table, and print setup
  (landscape A4, fit to the page width, the header repeated on every printed page,
  gridlines, the sheet name above and "page / pages" below);
* column widths from the header and the first values (CJK characters count twice);
* numbers as numbers, rounded by the caller to the precision they are compared at and
  given a number format that shows exactly those digits;
* text always as a text cell (an inline string): text from the data that starts like a
  formula (``=``, ``+``, ``-``, ``@``, tab, CR) is never a formula, and gets Excel's
  quote prefix so that editing the cell keeps it text; characters XML forbids are removed.

How: openpyxl (write-only workbook) writes the workbook — styles, sheet views, print
setup, defined names — with empty sheets, and the rows are streamed into each sheet's
``sheetData`` by :func:`save`, a column at a time (openpyxl's own cell writer costs
~70 µs a cell without lxml: 10⁵ parcels would take minutes; this takes seconds).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["FORMULA_START", "Column", "Report", "Table", "display_width", "number_format", "numbers", "safe_csv", "texts"]

#: Excel's last row, and the longest text a cell holds.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_TEXT = 32_767
#: Characters that make a spreadsheet read text as a formula (or DDE) when they lead it.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Characters XML 1.0 forbids (openpyxl refuses them).
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MIN_WIDTH, MAX_WIDTH, WRAP_WIDTH, BLOCK_WRAP_WIDTH = 6, 60, 50, 30
#: Points per line of 11-point text, for the rows above and below a table whose
#: wrapped cells need more than one line (spreadsheets do not all fit them on opening).
LINE_HEIGHT = 15
#: The share of a wrapped column's width its lines are assumed to fill.
WRAP_FILL = 0.85
#: Values sampled per column to size it; rows rendered to XML at a time.
WIDTH_SAMPLE, CHUNK_ROWS = 2000, 20_000
HEADER_FILL, NOTE_COLOR = "E8EEF4", "B25E00"
#: openpyxl's default font: bold and coloured text keep it (a font without a name is
#: shown in another typeface by some spreadsheets).
FONT_NAME, FONT_SIZE = "Calibri", 11
#: How openpyxl writes an empty sheet's rows (the place the streamed rows go).
_EMPTY_SHEET_DATA = re.compile(rb"<sheetData\s*/>|<sheetData>\s*</sheetData>")

# A style: (number format, bold, font colour, alignment, fill, quote prefix); alignment is
# False (none), "middle" (centred vertically) or True (wrapped, centred vertically).
StyleKey = tuple
PLAIN: StyleKey = (None, False, None, False, None, False)
BLOCK_STYLES = {
    None: PLAIN,
    "title": (None, True, None, False, None, False),
    "bold": (None, True, None, False, None, False),
    "note": (None, False, NOTE_COLOR, False, None, False),
    "header": (None, True, None, True, HEADER_FILL, False),
    "wrap": (None, False, None, True, None, False),
}


def texts(values) -> np.ndarray:
    """Values as text cells: ``str`` without XML-illegal characters (at most 32 767 of
    them), None where missing or empty; ids read as numbers lose their ``.0``."""
    series = pd.Series(values, dtype=object).reset_index(drop=True)
    missing = series.isna().to_numpy()
    out = series.to_numpy(dtype=object, copy=True)
    out[missing] = None
    if len(out) and not missing.all():
        codes, uniques = pd.factorize(pd.Series(out[~missing], dtype=object))
        clean = np.array([_clean(u) or None for u in uniques], dtype=object)
        out[~missing] = clean[codes]
    return out


def _clean(value: Any) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)  # an id read as a number: 12.0 → "12"
    text = ILLEGAL.sub("", str(value))
    return text[:EXCEL_MAX_TEXT]


def numbers(values, decimals: int | np.ndarray) -> np.ndarray:
    """Values as number cells rounded to ``decimals`` (one, or one per row); None where missing.

    >>> numbers([331.4900000000016, float("nan"), 2], 2).tolist()
    [331.49, None, 2.0]
    """
    arr = pd.to_numeric(pd.Series(values, dtype=object).reset_index(drop=True), errors="coerce").to_numpy(dtype=float)
    if np.ndim(decimals) == 0:
        rounded = np.round(arr, int(decimals))
    else:
        decimals = np.asarray(decimals, dtype=int)
        rounded = arr.copy()
        for d in np.unique(decimals):
            rows = decimals == d
            rounded[rows] = np.round(arr[rows], int(d))
    rounded[rounded == 0] = 0.0  # no "-0"
    out = rounded.astype(object)
    out[~np.isfinite(rounded)] = None
    return out


def number_format(decimals: int, *, fixed: int = 2) -> str:
    """An Excel format showing ``fixed`` to ``decimals`` decimals, with thousands separators.

    >>> number_format(2), number_format(6), number_format(0)
    ('#,##0.00', '#,##0.00####', '#,##0')
    """
    if decimals <= 0:
        return "#,##0"
    fixed = min(fixed, decimals)
    return "#,##0." + "0" * fixed + "#" * (decimals - fixed)


@dataclass
class Column:
    """One column of a table.

    ``values`` are cell values (text, float, int or None: see :func:`texts`,
    :func:`numbers`); ``formats`` an Excel number format, one or one per row;
    ``colors`` a font colour (hex, None for none) per row, e.g. the map's status
    colours; ``wrap`` wraps long text; ``bold`` makes the column bold.
    """

    header: str
    values: np.ndarray
    formats: str | np.ndarray | None = None
    colors: np.ndarray | None = None
    wrap: bool = False
    bold: bool = False


Block = Sequence[Sequence[tuple[Any, str | None]]]


@dataclass
class Table:
    """A table for a sheet: ``columns`` under a header row, short rows above and below.

    ``above`` and ``below`` are rows of (value, style) pairs — titles, notes, further
    blocks — with style None, ``"title"``, ``"bold"``, ``"note"``, ``"header"`` or
    ``"wrap"``.
    """

    columns: Sequence[Column]
    above: Block = ()
    below: Block = ()
    #: Rows the autofilter covers (default: all; a totals row after them stays out of it).
    filtered_rows: int | None = None
    #: The note written when rows are left out (beyond Excel's last row): count → text.
    truncated: Callable[[int], str] = str


@dataclass
class Report:
    """A workbook being written: add sheets with :meth:`sheet`, then :meth:`save`; use it
    as a context manager (``with Report() as wb: …``) so that its temporary files go."""

    wb: Workbook = field(default_factory=lambda: Workbook(write_only=True))
    _styles: dict = field(default_factory=dict)
    _sheets: list = field(default_factory=list)
    _dir: tempfile.TemporaryDirectory = field(default_factory=lambda: tempfile.TemporaryDirectory(prefix="landtool-xlsx-"))

    def sheet(self, title: str, table: Table) -> None:
        """Add a sheet ``title`` holding ``table`` (rows rendered now, to a temporary file)."""
        ws = self.wb.create_sheet(_sheet_title(title))
        columns = list(table.columns)
        n = len(columns[0].values) if columns else 0
        header_row = len(table.above) + 1
        shown = max(min(n, EXCEL_MAX_ROWS - header_row - len(table.below) - 1), 0)
        last = get_column_letter(max(len(columns), 1))
        ws.freeze_panes = f"A{header_row + 1}"
        widths = _set_widths(ws, columns, table)
        _print_setup(ws, header_row)
        rows = shown if table.filtered_rows is None else min(table.filtered_rows, shown)
        ws.auto_filter.ref = f"A{header_row}:{last}{header_row + rows}"

        path = Path(self._dir.name) / f"{len(self._sheets)}.xml"
        with path.open("w", encoding="utf-8") as out:
            out.write("<sheetData>")
            row = 1
            for block_row in table.above:
                out.write(self._block_row(ws, row, block_row, widths))
                row += 1
            header = self._style(ws, BLOCK_STYLES["header"])
            out.write(_row_xml(row, [_text_cell(get_column_letter(j + 1), row, c.header, header) for j, c in enumerate(columns)]))
            row += 1
            for start in range(0, shown, CHUNK_ROWS):
                stop = min(start + CHUNK_ROWS, shown)
                out.write(self._table_rows(ws, columns, start, stop, row, widths))
                row += stop - start
            if shown < n:
                out.write(self._block_row(ws, row, [(table.truncated(n - shown), "note")], widths))
                row += 1
            for block_row in table.below:
                out.write(self._block_row(ws, row, block_row, widths))
                row += 1
            out.write("</sheetData>")
        self._sheets.append((ws, path))

    def save(self, path: str | Path) -> None:
        """Write the workbook to ``path``: openpyxl's parts, with each sheet's rows."""
        scaffold = Path(self._dir.name) / "scaffold.xlsx"
        self.wb.save(scaffold)
        parts = {ws.path.lstrip("/"): rows for ws, rows in self._sheets}
        with zipfile.ZipFile(scaffold) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=5) as dst:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename not in parts:
                    dst.writestr(info, data)
                    continue
                found = _EMPTY_SHEET_DATA.search(data)
                if found is None:  # pragma: no cover - an openpyxl that writes sheets otherwise
                    msg = f"{info.filename}: no empty sheetData to fill"
                    raise RuntimeError(msg)
                head, tail = data[: found.start()], data[found.end() :]
                rows = parts[info.filename]
                big = os.path.getsize(rows) > 1 << 30
                with dst.open(info.filename, "w", force_zip64=big) as part, rows.open("rb") as body:
                    part.write(head)
                    shutil.copyfileobj(body, part, 1 << 20)
                    part.write(tail)

    def close(self) -> None:
        """Remove the temporary files (also when the workbook was never saved)."""
        self._dir.cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ----------------------------------------------------------------- cells

    def _style(self, ws, key: StyleKey) -> int:
        """The id of a style, registered with the workbook once."""
        if key == PLAIN:
            return 0
        found = self._styles.get(key)
        if found is None:
            number, bold, color, wrap, fill, quote = key
            cell = WriteOnlyCell(ws)
            if number:
                cell.number_format = number
            if bold or color:
                cell.font = Font(name=FONT_NAME, size=FONT_SIZE, bold=bold, color=color)
            if wrap:
                cell.alignment = Alignment(wrap_text=wrap is True, vertical="center")
            if fill:
                cell.fill = PatternFill("solid", fgColor=fill)
            if quote:
                cell.quotePrefix = True
            found = self._styles[key] = cell.style_id
        return found

    def _block_row(self, ws, row: int, cells, widths: list[float]) -> str:
        out = []
        lines = 1
        for j, (value, style) in enumerate(cells):
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            key = BLOCK_STYLES[style]
            letter = get_column_letter(j + 1)
            if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
                number = number_format(0 if float(value).is_integer() else 6)
                out.append(_number_cell(letter, row, value, self._style(ws, (number, *key[1:]))))
            else:
                text = _clean(value)
                if text.startswith(FORMULA_START):
                    key = (*key[:5], True)
                if key[3] is True and j < len(widths):
                    lines = max(lines, int(_lines(np.array([text], dtype=object), widths[j])[0]))
                out.append(_text_cell(letter, row, text, self._style(ws, key)))
        if lines > 1:
            return f'<row r="{row}" ht="{lines * LINE_HEIGHT}" customHeight="1">{"".join(out)}</row>'
        return _row_xml(row, out)

    def _table_rows(self, ws, columns: list[Column], start: int, stop: int, first_row: int, widths: list[float]) -> str:
        """Rows ``start:stop`` of the table as XML, the first numbered ``first_row``; a row
        whose wrapped text needs more than one line gets the height for it."""
        numbers_ = [str(r) for r in range(first_row, first_row + stop - start)]
        cells = [self._column_cells(ws, c, get_column_letter(j + 1), start, stop, numbers_) for j, c in enumerate(columns)]
        lines = np.ones(stop - start, dtype=int)
        for column, width in zip(columns, widths, strict=True):
            if column.wrap:
                lines = np.maximum(lines, _lines(column.values[start:stop], width))
        heads = [f'<row r="{r}" ht="{n * LINE_HEIGHT}" customHeight="1">' if n > 1 else f'<row r="{r}">' for r, n in zip(numbers_, lines.tolist(), strict=True)]
        return "".join(f'{head}{"".join(parts)}</row>' for head, parts in zip(heads, zip(*cells, strict=True), strict=True))

    def _column_cells(self, ws, column: Column, letter: str, start: int, stop: int, rows: list[str]) -> list[str]:
        """The cells of one column for rows ``start:stop`` ('' where empty)."""
        values = column.values[start:stop]
        n = len(values)
        present = ~pd.isna(values)
        # a column is text or numbers (texts() / numbers()): numbers have a format
        is_text = present if column.formats is None else np.zeros(n, dtype=bool)
        formats = column.formats[start:stop] if isinstance(column.formats, np.ndarray) else [column.formats] * n
        colors = column.colors[start:stop] if column.colors is not None else [None] * n
        # text: escaped, and checked for a formula's first character, once per distinct string
        bodies = np.full(n, "", dtype=object)
        quote = np.zeros(n, dtype=bool)
        if is_text.any():
            text_codes, uniques = pd.factorize(pd.Series(values[is_text], dtype=object))
            bodies[is_text] = np.array([_inline(u) for u in uniques], dtype=object)[text_codes]
            quote[is_text] = np.array([u.startswith(FORMULA_START) for u in uniques], dtype=bool)[text_codes]
        attrs: dict = {}
        out = [""] * n
        for i in np.flatnonzero(present).tolist():
            text = is_text[i]
            k = (None if text else formats[i], colors[i], quote[i])
            attr = attrs.get(k)
            if attr is None:
                number, color, q = k
                style = self._style(ws, (number, column.bold or color is not None, color, True if column.wrap else "middle", None, bool(q)))
                attr = attrs[k] = f' s="{style}"' if style else ""
            if text:
                out[i] = f'<c r="{letter}{rows[i]}"{attr} t="inlineStr">{bodies[i]}</c>'
            else:
                out[i] = f'<c r="{letter}{rows[i]}"{attr}><v>{values[i]!r}</v></c>'
        return out


def _number_text(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return repr(float(value))


#: A CR would be read back as a line feed (XML normalizes line ends): keep it as a reference.
_ENTITIES = {"\r": "&#13;"}


def _inline(text: str) -> str:
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f"<is><t{space}>{escape(text, _ENTITIES)}</t></is>"


def _text_cell(letter: str, row: int, text, style: int) -> str:
    if text is None:
        return ""
    s = f' s="{style}"' if style else ""
    return f'<c r="{letter}{row}"{s} t="inlineStr">{_inline(_clean(text))}</c>'


def _number_cell(letter: str, row: int, value, style: int) -> str:
    s = f' s="{style}"' if style else ""
    return f'<c r="{letter}{row}"{s}><v>{_number_text(value)}</v></c>'


def _lines(values: np.ndarray, width: float) -> np.ndarray:
    """Lines each text needs in a wrapped column ``width`` wide (1 for none), estimated
    from its display width with room to spare (glyphs are not all one unit wide, and a
    line breaks between words); computed once per distinct text."""
    room = max(int((width - 1) * WRAP_FILL), 1)
    series = pd.Series(values, dtype=object)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    counts = np.array([sum(max(-(-display_width(part) // room), 1) for part in str(u).split("\n")) for u in uniques] + [1], dtype=int)
    return counts[codes]


def _row_xml(row: int, cells: list[str]) -> str:
    return f'<row r="{row}">{"".join(cells)}</row>'


def _sheet_title(title: str) -> str:
    """Excel sheet names: at most 31 characters, none of ``[]:*?/\\``."""
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31]


def _print_setup(ws, header_row: int) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_options.gridLines = True
    ws.oddHeader.center.text = "&A"
    ws.oddFooter.center.text = "&P / &N"


_WIDE = re.compile("[\u2e80-\uffff]")


def display_width(text: str) -> int:
    """Width in Excel character units: CJK and full-width characters count twice.

    >>> display_width("宗地代码"), display_width("parcel id")
    (8, 9)
    """
    return len(text) + len(_WIDE.findall(text))


def _set_widths(ws, columns: list[Column], table: Table) -> list[float]:
    """Widths from the header, the first values of each column and the cells of the rows
    above and below but the last of each (which may overflow to the right), within
    [6, 60] (wrapped columns: 50; wrapped cells of those rows: 30)."""
    widths = []
    # text in the last cell of a row may overflow to the right; numbers never do
    blocks = [row[:-1] if isinstance(row[-1][0], str) else row for row in (*table.above, *table.below) if row]
    for i, column in enumerate(columns):
        found = [display_width(str(column.header))]
        found += [display_width(_shown(v)) for v in set(column.values[:WIDTH_SAMPLE].tolist()) - {None}]
        for row in blocks:
            if i < len(row) and row[i][0] is not None:
                shown = display_width(_shown(row[i][0]))
                found.append(min(shown, BLOCK_WRAP_WIDTH) if row[i][1] in ("wrap", "header") else shown)
        limit = WRAP_WIDTH if column.wrap else MAX_WIDTH
        widths.append(min(max(max(found) + 2, MIN_WIDTH), limit))
        ws.column_dimensions[get_column_letter(i + 1)].width = widths[-1]
    return widths


def _shown(value) -> str:
    if isinstance(value, float):
        return f"{value:,.6f}".rstrip("0").rstrip(".") if not value.is_integer() else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def safe_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` for a CSV file a spreadsheet will open: text that would start a formula
    gets a leading apostrophe (a CSV cell has no text type to protect it)."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if not pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            risky = values.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_START)).astype(bool)
            if risky.any():
                out[column] = values.where(~risky, "'" + values.astype(str))
    return out

"""Workbooks a clinic opens in a spreadsheet program: every text cell is inert.

A name from the EMR such as ``=HYPERLINK(…)``, ``+cmd|…`` or ``@SUM(…)``
would run as a formula if written as it is (the OWASP advice on CSV and
formula injection), ``#N/A`` would become an error cell and a control
character makes the file unreadable. So every text is written as a string,
marked as text (Excel's quote prefix) when it starts like a formula, and
stripped of control characters. Numbers keep their type, with thousands
separators; sheets print landscape, fitted to the page width, with the header
row repeated on every page.
"""

from __future__ import annotations

import math
import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab, LF and CR are legal in a cell
WIDEST_COLUMN = 70
INTEGER_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.0"
MONEY_FORMAT = "#,##0.00"


def clean_text(text: str) -> str:
    """The text without the control characters a workbook cannot hold."""
    return CONTROL_CHARACTERS.sub(" ", text)


def _set(cell, value, number_format: str | None = None) -> None:
    """``number_format``: the column's own (a percentage, dollars), else by the value's type."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return
    if isinstance(value, bool):
        cell.value = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        cell.value = value
        cell.number_format = number_format or (DECIMAL_FORMAT if isinstance(value, float) else INTEGER_FORMAT)
    else:
        text = clean_text(str(value))
        cell.value = text
        cell.data_type = "s"  # never a formula, an error literal or a date guessed from text
        if text.startswith(FORMULA_STARTS):
            cell.quotePrefix = True


def write_table(
    worksheet,
    table,
    *,
    title: str,
    percent_columns: frozenset[str] | set[str] = frozenset(),
    money_columns: frozenset[str] | set[str] = frozenset(),
) -> None:
    """Write a pandas DataFrame into ``worksheet``: inert text, typed numbers,
    bold frozen header with filters, readable widths, long text wrapped, and a
    page set-up for printing (``title`` in the page header)."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    bold, wrapped = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    columns = list(table.columns)
    for index, name in enumerate(columns, start=1):
        _set(worksheet.cell(row=1, column=index), name)
        worksheet.cell(row=1, column=index).font = bold
    formats = [
        DECIMAL_FORMAT if name in percent_columns else MONEY_FORMAT if name in money_columns else None
        for name in columns
    ]
    for row_number, row in enumerate(table.itertuples(index=False), start=2):
        for index, value in enumerate(row, start=1):
            _set(worksheet.cell(row=row_number, column=index), value, formats[index - 1])
    for index, name in enumerate(columns, start=1):
        longest = max([len(str(name))] + [len(str(v)) for v in table[name].head(5000)])
        worksheet.column_dimensions[get_column_letter(index)].width = min(longest + 2, WIDEST_COLUMN)
        if longest > WIDEST_COLUMN:
            for (cell,) in worksheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.alignment = wrapped
    worksheet.freeze_panes = "A2"
    worksheet.auto_filter.ref = worksheet.dimensions
    _page_setup(worksheet, title)


def _page_setup(worksheet, title: str) -> None:
    worksheet.page_setup.orientation = "landscape"
    worksheet.page_setup.fitToWidth = 1
    worksheet.page_setup.fitToHeight = 0  # as many pages down as needed
    worksheet.sheet_properties.pageSetUpPr.fitToPage = True
    worksheet.print_title_rows = "1:1"
    worksheet.oddHeader.center.text = clean_text(title).replace("&", "&&")
    worksheet.oddFooter.right.text = "&P / &N"

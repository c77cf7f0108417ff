"""An EMR export folder: find each table's file and make it readable by DuckDB.

Each table is ``NAME.csv``, ``NAME.xlsx`` (first sheet) or ``NAME.parquet``.
Whatever the format, a table becomes one SQL relation whose columns carry the
canonical (lower-case) names of ``export_format`` as text, so one set of rules
validates every format. Line numbers in messages count the header as line 1,
for every format, as a spreadsheet shows them.

CSV files are checked here for what DuckDB cannot say clearly: the delimiter
(the one of ``,`` ``;`` tab that makes the header hold the required columns)
and the encoding. DuckDB reads every file as UTF-8 (with or without BOM) and
sets aside lines that are not; only then is the file examined here: a mix of
UTF-8 and another encoding is refused, a Windows-1252 file is converted to a
temporary UTF-8 copy and read again. UTF-8 files, the common case, are thus
read once.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import os
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .. import scratch
from ..errors import InputError, os_reason
from ..export_format import TABLES, Table

FORMATS = ("csv", "xlsx", "parquet")
DELIMITERS = (",", ";", "\t")
CHUNK = 1 << 24
# The longest CSV line read. DuckDB reports a longer one among its rejected
# lines, but silently drops one longer than its read buffer (1.5.5): so every
# file is first checked here for a line longer than this (any aligned block of
# this size without a line feed), which costs one quick read of the file.
MAX_LINE_BYTES = 8 << 20
# An Excel workbook inflates to at most this (a small file can hide gigabytes).
MAX_XLSX_INFLATED = 512 << 20
# A well-formed UTF-8 multi-byte sequence: its presence beside invalid bytes
# means the file mixes encodings (Windows-1252 text almost never contains one).
UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


class NotUtf8(Exception):
    """DuckDB met bytes that are not UTF-8: the file must be examined and converted."""


@dataclass
class TableFile:
    """One table of the export, ready to be read as an SQL relation."""

    table: Table
    path: Path  # the user's file, named in every message
    format: str
    header: list[str]  # as written in the file
    positions: dict[str, int]  # canonical column -> 0-based position in the header
    read_path: Path | None = None  # UTF-8 CSV that DuckDB reads (may be a temporary copy)
    delimiter: str = ","
    _temporary: list[Path] = field(default_factory=list)
    sheet_rows: list[int] = field(default_factory=list)  # Excel: sheet row of each data line
    attempt: int = 0  # each read gets its own table of rejected lines
    work: Path | None = None  # the load's private scratch folder (scratch.py), for copies
    line_feeds: int | None = None  # CSV: line feeds in the file, counted while looking for over-long lines
    ends_with_line_feed: bool = True
    merge: bool = False  # the loader replaces the table with a file's rows (see sources.fhir)
    dropped: Collection[str] = ()  # with merge: ids whose rows go (see sources.fhir)

    # -- SQL --------------------------------------------------------------
    def relation(self) -> tuple[str, dict]:
        """``(sql, params)``: a SELECT of the table's columns as text (empty
        cells and absent optional columns as NULL; spaces are the loader's job)."""
        params: dict[str, object]
        if self.format == "parquet":
            source, params = "read_parquet($path)", {"path": str(self.path)}

            def raw(pos: int) -> str:
                return f'CAST("{_sql_ident(self.header[pos])}" AS VARCHAR)'
        else:
            columns = {f"c{i}": "VARCHAR" for i in range(len(self.header))}
            source = (
                "read_csv($path, header = true, delim = $delim, quote = '\"', escape = '\"', "
                "columns = $columns, auto_detect = false, strict_mode = true, null_padding = false, "
                f"store_rejects = true, rejects_table = '{self.rejects_table}', "
                f"rejects_scan = '{self.rejects_table}_scan', "
                f"max_line_size = {MAX_LINE_BYTES}, buffer_size = {4 * MAX_LINE_BYTES})"
            )
            params = {"path": str(self._read), "delim": self.delimiter, "columns": columns}

            def raw(pos: int) -> str:
                return f"c{pos}"

        selected = []
        for column in self.table.columns:
            pos = self.positions.get(column.name)
            value = "NULL::VARCHAR" if pos is None else f"nullif({raw(pos)}, '')"
            selected.append(f'{value} AS "{column.name}"')
        return f"SELECT {', '.join(selected)} FROM {source}", params

    @property
    def rejects_table(self) -> str:
        return f"rejects_{self.table.name}_{self.attempt}"

    def check_structure(self, con) -> None:
        """Raise on the first malformed CSV line DuckDB set aside while reading."""
        if self.format == "parquet":
            return
        row = con.execute(
            f"SELECT line_byte_position, error_type::VARCHAR, error_message FROM {self.rejects_table} "
            "ORDER BY line_byte_position LIMIT 1"
        ).fetchone()
        if row is None:
            return
        position, kind, detail = row
        if kind == "INVALID ENCODING" and self.format == "csv" and self.read_path == self.path:
            raise NotUtf8(self.path)
        line = self._line_at(position)  # DuckDB counts records; people count lines
        found = re.search(r"Found: (\d+)", detail or "")
        if kind in ("MISSING COLUMNS", "TOO MANY COLUMNS") and found:
            raise InputError(
                "field_count",
                n=int(found.group(1)),
                file=self.path,
                line=line,
                expected=len(self.header),
                delimiter=_show(self.delimiter),
            )
        if "unterminated quote" in (detail or ""):
            raise InputError("csv_unterminated_quote", file=self.path, line=line)
        raise InputError("csv_malformed", file=self.path, line=line, detail=detail)

    def check_row_count(self, stored: int) -> None:
        """Refuse a load that stored fewer (or more) rows than the file holds.

        A reader that drops rows without a word must not pass for a load (DuckDB
        1.5.5 did, for a line longer than its buffer). The line feeds counted when
        the file was opened give the rows of a plain CSV at no cost; only when they
        disagree (blank lines, line feeds inside quoted values) is the file
        counted again with Python's CSV reader, which is slower but exact.
        """
        if self.format == "parquet":
            return  # DuckDB reads the row groups the file's metadata lists
        if self.format == "xlsx":
            expected = len(self.sheet_rows)
        else:
            expected = (self.line_feeds or 0) + (0 if self.ends_with_line_feed else 1) - 1  # the header is a line
            if stored != expected:
                expected = sum(1 for _line, row in self._rows() if row)
        if stored != expected:
            raise InputError("rows_lost", n=expected, file=self.path, stored=stored)

    def convert_to_utf8(self) -> None:
        """After ``NotUtf8``: refuse a mix of encodings, else read the file as Windows-1252."""
        detect_encoding(self.path)
        self.read_path = _transcode_cp1252(self.path, self._scratch())
        self._temporary.append(self.read_path)
        self.attempt += 1

    def _scratch(self) -> Path:
        if self.work is None:
            raise RuntimeError("a table file opened without a scratch folder cannot be converted")
        return self.work

    @property
    def _read(self) -> Path:
        """The file DuckDB reads: the user's, or a UTF-8 copy of it."""
        return self.read_path or self.path

    def _line_at(self, byte_position: int) -> int:
        """The 1-based line of a byte of the file DuckDB read (Excel: its sheet row)."""
        with open(self._read, "rb") as handle:
            line = handle.read(byte_position).count(b"\n") + 1
        return self.sheet_rows[line - 2] if self.sheet_rows and line >= 2 else line

    # -- finding a row for a message --------------------------------------
    def error(self, key: str, match: dict[str, str | None], **values) -> InputError:
        """The error ``key`` about the first row holding ``match``, named by file and line
        (found by its id alone when a value reads differently here than in DuckDB)."""
        id_only = {self.table.id_column: match.get(self.table.id_column)}
        lines = self.locate(match) or (self.locate(id_only) if len(match) > 1 else [])
        return InputError(key, file=self.path, line=lines[0] if lines else "?", **values)

    def locate(self, values: dict[str, str | None], limit: int = 1) -> list[int]:
        """Line numbers (header = 1) of the first rows whose canonical columns
        hold ``values`` (None matches an empty cell)."""
        wanted = [(self.positions.get(name), value) for name, value in values.items()]
        found = []
        for line, row in self._rows():
            if all(_cell(row, pos) == value for pos, value in wanted):
                found.append(line)
                if len(found) == limit:
                    break
        return found

    def cells(self, ids: set[str], columns: tuple[str, ...]) -> dict[str, tuple[str | None, ...]]:
        """Id → the text of ``columns`` as the file holds them, for the rows of ``ids``
        (one pass over the file, on the rare path that needs the original text)."""
        id_pos = self.positions[self.table.id_column]
        positions = [self.positions.get(name) for name in columns]
        found = {}
        for _line, row in self._rows():
            item_id = _cell(row, id_pos)
            if item_id in ids:
                found[item_id] = tuple(_cell(row, pos) for pos in positions)
        return found

    def _rows(self) -> Iterator[tuple[int, list]]:
        if self.format == "parquet":
            import duckdb

            rows = duckdb.sql(
                "SELECT * FROM read_parquet($path)", params={"path": str(self.path)}
            ).fetchall()  # only on the error path, where time does not matter
            for number, values in enumerate(rows, start=2):
                yield number, [None if v is None else str(v) for v in values]
            return
        # A file not yet known to be Windows-1252 may be searched here: its
        # undecodable bytes are replaced; they only belong to other rows.
        with open(self._read, encoding="utf-8-sig", errors="replace", newline="") as handle:
            reader = csv.reader(handle, delimiter=self.delimiter)
            next(reader, None)
            line = reader.line_num
            for index, row in enumerate(reader):
                # A CSV line is where its row starts; an Excel line is its sheet row.
                yield (line + 1 if self.format == "csv" else self.sheet_rows[index]), row
                line = reader.line_num

    def cleanup(self) -> None:
        for path in self._temporary:
            path.unlink(missing_ok=True)


def _cell(row: list, pos: int | None) -> str | None:
    if pos is None or pos >= len(row) or row[pos] is None:
        return None
    return str(row[pos]).strip() or None


def _sql_ident(name: str) -> str:
    return name.replace('"', '""')


def _show(delimiter: str) -> str:
    return "tabulation" if delimiter == "\t" else delimiter


# --- the folder ----------------------------------------------------------------


def open_export(folder: str | os.PathLike, work: Path) -> list[TableFile]:
    """Find, check and prepare the four tables of an export folder; copies
    (of an Excel sheet, of a Windows-1252 file) go to the private folder ``work``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("folder_missing", folder=folder)
    by_name: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        stem, _, ext = path.name.rpartition(".")
        if ext.lower() in FORMATS and path.is_file():
            by_name.setdefault(stem.lower(), []).append(path)
    opened: list[TableFile] = []
    try:
        for table in TABLES:
            candidates = by_name.get(table.name, [])
            if not candidates:
                raise InputError("table_missing", table=table.name, folder=folder)
            if len(candidates) > 1:
                raise InputError(
                    "table_ambiguous", table=table.name, folder=folder, files=", ".join(p.name for p in candidates)
                )
            opened.append(open_table(table, candidates[0], work))
    except BaseException:
        for table_file in opened:
            table_file.cleanup()
        raise
    return opened


def open_table(table: Table, path: Path, work: Path) -> TableFile:
    kind = path.suffix.lower().lstrip(".")
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        raise InputError("file_unreadable", file=path, detail=os_reason(error)) from None
    if kind == "csv":
        opened = _open_csv(table, path)
    elif kind == "xlsx":
        opened = _open_xlsx(table, path, work)
    else:
        opened = _open_parquet(table, path)
    opened.work = work
    return opened


def _map_header(table: Table, path: Path, header: list[str], delimiter: str = ",") -> dict[str, int]:
    """Canonical column -> position, names compared without case or spaces."""
    positions: dict[str, int] = {}
    for pos, name in enumerate(header):
        key = (name or "").strip().lower()
        if not key:
            continue
        if key in positions:
            raise InputError("column_duplicate", file=path, line=1, column=name)
        positions[key] = pos
    for required in table.required:
        if required not in positions:
            # Only known column names are echoed: a file without its header
            # would otherwise print a data row, patient reference included.
            known = [c.name for c in table.columns if c.name in positions]
            raise InputError(
                "column_missing",
                file=path,
                line=1,
                column=required,
                delimiter=_show(delimiter),
                known=", ".join(known) or "-",
                others=len(header) - len(known),
            )
    return {c.name: positions[c.name] for c in table.columns if c.name in positions}


# --- CSV ---------------------------------------------------------------------------


def _open_csv(table: Table, path: Path) -> TableFile:
    if path.stat().st_size == 0:
        raise InputError("file_empty", file=path, columns=", ".join(table.required))
    header_line, rest = _first_line(path)
    if not header_line.strip():
        if rest:
            raise InputError("header_not_first", file=path, line=1, columns=", ".join(table.required))
        raise InputError("file_empty", file=path, columns=", ".join(table.required))
    delimiter, header = _choose_delimiter(table, header_line, path)
    positions = _map_header(table, path, header, delimiter)
    opened = TableFile(table, path, "csv", header, positions, path, delimiter)
    opened.line_feeds, opened.ends_with_line_feed = _scan_lines(path)
    return opened


def _scan_lines(path: Path) -> tuple[int, bool]:
    """The file's line feeds, and whether it ends with one; refuses a line longer
    than ``MAX_LINE_BYTES``, naming it. One quick read of the file."""
    line_feeds, last = 0, b"\n"
    with open(path, "rb") as handle:
        offset = 0
        while block := handle.read(MAX_LINE_BYTES):
            found = block.count(b"\n")
            if len(block) == MAX_LINE_BYTES and not found:
                raise InputError("line_too_long", file=path, line=_line_of(path, offset), limit=MAX_LINE_BYTES >> 20)
            line_feeds, last, offset = line_feeds + found, block[-1:], offset + len(block)
    return line_feeds, last == b"\n"


def _line_of(path: Path, offset: int) -> int:
    """The 1-based line holding byte ``offset`` (counted in chunks: the file may be large)."""
    newlines = 0
    with open(path, "rb") as handle:
        while offset > 0 and (chunk := handle.read(min(CHUNK, offset))):
            newlines += chunk.count(b"\n")
            offset -= len(chunk)
    return newlines + 1


def detect_encoding(path: Path) -> str:
    """'utf-8' (BOM or not) when the whole file is valid UTF-8, else 'cp1252'.
    Raises when the file mixes UTF-8 with another encoding or is neither."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                return _not_utf8(path, offset - pending + error.start)
            offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        return _not_utf8(path, offset - len(decoder.getstate()[0]) + error.start)
    return "utf-8"


def _position(data: bytes, pos: int) -> tuple[int, int]:
    """(line, column), both 1-based, of byte ``pos``; the column counts characters."""
    line_start = data.rfind(b"\n", 0, pos) + 1
    before = data[line_start:pos].decode("utf-8", errors="replace")
    return data.count(b"\n", 0, pos) + 1, len(before) + 1


def _not_utf8(path: Path, bad: int) -> str:
    data = path.read_bytes()  # only for files that are not UTF-8: the rare path
    line, column = _position(data, bad)
    utf8 = UTF8_SEQUENCE.search(data)
    if utf8:
        raise InputError(
            "encoding_mixed",
            file=path,
            line=line,
            column=column,
            byte=f"0x{data[bad]:02X}",
            utf8_line=_position(data, utf8.start())[0],
        )
    return "cp1252"


def _transcode_cp1252(path: Path, work: Path) -> Path:
    data = path.read_bytes()
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as error:
        line, column = _position(data, error.start)
        raise InputError(
            "encoding_invalid", file=path, line=line, column=column, byte=f"0x{data[error.start]:02X}"
        ) from None
    handle, name = scratch.new_file(work, f"{path.stem}-", ".utf8.csv")
    with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
        out.write(text)
    return name


def _first_line(path: Path) -> tuple[str, bool]:
    """The header line as text, and whether anything follows it. Column names
    are ASCII in every encoding we accept; a Windows-1252 header still decodes."""
    with open(path, "rb") as handle:
        raw = handle.readline(1 << 20)
        rest = bool(handle.read(1))
    raw = raw.removeprefix(codecs.BOM_UTF8)
    if b"\r" in raw.rstrip(b"\r\n") and not raw.endswith(b"\n"):
        raise InputError("line_endings_cr", file=path)
    try:
        return raw.decode("utf-8"), rest
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), rest


def _choose_delimiter(table: Table, header_line: str, path: Path) -> tuple[str, list[str]]:
    """The delimiter whose split of the header holds the most required columns
    (ties: the most fields)."""

    def score(delimiter: str) -> tuple[int, int]:
        fields = _split(delimiter)
        names = {f.strip().lower() for f in fields}
        return sum(r in names for r in table.required), len(fields)

    def _split(delimiter: str) -> list[str]:
        try:
            return next(csv.reader([header_line.rstrip("\r\n")], delimiter=delimiter))
        except csv.Error as error:  # a header cell over 128 KiB, a stray quote…
            raise InputError("header_unreadable", file=path, line=1, detail=str(error)) from None

    best = max(DELIMITERS, key=score)
    return best, _split(best)


# --- Excel ------------------------------------------------------------------------


def _open_xlsx(table: Table, path: Path, work: Path) -> TableFile:
    """Copy the first sheet to a temporary UTF-8 CSV, one line per sheet row."""
    import openpyxl

    _refuse_inflated(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise InputError("excel_unreadable", file=path, detail=f"{type(error).__name__}: {error}") from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # read every row, not only those the sheet's <dimension> declares
        rows = sheet.iter_rows(values_only=True)
        header = [_excel_text(v) for v in next(rows, ())]
        while header and not header[-1]:
            header.pop()
        if not any(header):
            raise InputError("file_empty", file=path, columns=", ".join(table.required))
        positions = _map_header(table, path, header)
        handle, name = scratch.new_file(work, f"{path.stem}-", ".xlsx.csv")
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(header)
            width, sheet_rows = len(header), []
            for number, row in enumerate(rows, start=2):
                cells = [_excel_text(v) for v in row[:width]]
                if any(cells):  # blank rows are skipped, as blank CSV lines are
                    writer.writerow(cells + [""] * (width - len(cells)))
                    sheet_rows.append(number)
    finally:
        workbook.close()
    return TableFile(table, path, "xlsx", header, positions, name, ",", [name], sheet_rows)


def _refuse_inflated(path: Path) -> None:
    """Refuse a workbook whose parts inflate past ``MAX_XLSX_INFLATED`` (a zip bomb, or far larger than any export)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            inflated = sum(part.file_size for part in archive.infolist())
    except (zipfile.BadZipFile, OSError) as error:
        raise InputError("excel_unreadable", file=path, detail=str(error)) from None
    if inflated > MAX_XLSX_INFLATED:
        raise InputError("excel_too_large", file=path, size=inflated >> 20, limit=MAX_XLSX_INFLATED >> 20)


def _excel_text(value) -> str:
    """A cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


# --- Parquet ----------------------------------------------------------------------


def _open_parquet(table: Table, path: Path) -> TableFile:
    import duckdb

    try:
        names = [
            row[0]
            for row in duckdb.sql("DESCRIBE SELECT * FROM read_parquet($path)", params={"path": str(path)}).fetchall()
        ]
    except duckdb.Error as error:
        raise InputError("parquet_unreadable", file=path, detail=str(error).splitlines()[0]) from None
    return TableFile(table, path, "parquet", names, _map_header(table, path, names))

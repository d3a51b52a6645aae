"""Reading an order file: CSV in any encoding Excel writes (UTF-8 with or without BOM, GBK/GB18030)
or XLSX, headers mapped to kefu's columns (English or Chinese names, or a mapping given by the
user), streamed row by row so 100,000 rows never sit in memory at once."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import charset_normalizer
from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed

REQUIRED = ("order_id", "customer_email", "amount", "ordered_at")
OPTIONAL = ("customer_name", "phone", "currency", "shop")
COLUMNS = REQUIRED + OPTIONAL

# Header names people use for each column (compared without case, spaces, "_" or "-").
ALIASES: dict[str, tuple[str, ...]] = {
    "order_id": ("order_id", "order", "order_no", "order_number", "订单号", "订单编号", "订单id", "单号"),
    "customer_email": ("customer_email", "email", "e-mail", "邮箱", "电子邮箱", "客户邮箱", "邮件地址"),
    "amount": ("amount", "total", "order_amount", "金额", "订单金额", "实付金额", "支付金额", "实收金额"),
    "ordered_at": (
        "ordered_at",
        "order_date",
        "date",
        "created",
        "下单时间",
        "订单时间",
        "下单日期",
        "付款时间",
    ),
    "customer_name": ("customer_name", "name", "客户姓名", "姓名", "客户", "客户名称", "收货人"),
    "phone": ("phone", "mobile", "customer_phone", "手机", "手机号", "手机号码", "电话", "联系电话"),
    "currency": ("currency", "币种", "货币"),
    "shop": ("shop", "store", "店铺", "店铺名称", "门店"),
}
SNIFF_BYTES = 256 * 1024


class FileRefused(ValidationFailed):
    """The whole file cannot be read (format, encoding, missing columns)."""

    code = "order_file_refused"


def _norm(header: Any) -> str:
    return "".join(str(header or "").split()).replace("_", "").replace("-", "").lower()


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """`["order_id=单号", …]` → {"order_id": "单号"}; unknown columns are refused."""
    mapping = {}
    for pair in pairs:
        column, sep, header = pair.partition("=")
        column = column.strip()
        if not sep or column not in COLUMNS or not header.strip():
            raise FileRefused(
                _("Column mapping “%(pair)s”: write column=header with a column among %(columns)s.")
                % {"pair": pair, "columns": ", ".join(COLUMNS)},
                field="map",
            )
        mapping[column] = header.strip()
    return mapping


def _positions(headers: list[Any], mapping: Mapping[str, str]) -> dict[str, int]:
    found: dict[str, int] = {}
    normed = [_norm(h) for h in headers]
    for column in COLUMNS:
        names = [mapping[column]] if column in mapping else list(ALIASES[column])
        for name in names:
            if _norm(name) in normed:
                found[column] = normed.index(_norm(name))
                break
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        raise FileRefused(
            _(
                "Missing columns: %(missing)s (the file's headers: %(headers)s). Map them with --map column=header."
            )
            % {"missing": ", ".join(missing), "headers": ", ".join(str(h) for h in headers if h)[:300]},
            field="file",
        )
    return found


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (BOM or not) when the sample is UTF-8; else GB18030 (the superset of GBK/GB2312 that
    Excel on a Chinese Windows writes) when the sample is valid GB18030 with Chinese in it, unless
    charset-normalizer finds Big5; else what charset-normalizer finds. Guessing alone is not
    enough: a file that is mostly ASCII with a few Chinese names reads to it like Cyrillic."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decodes(sample, "utf-8"):
        return "utf-8"
    best = charset_normalizer.from_bytes(sample).best()
    guess = best.encoding.lower().replace("-", "_") if best is not None else ""
    if guess in {"big5", "big5hkscs", "cp950"}:
        return "big5hkscs"
    text = _decodes(sample, "gb18030")
    if text and _CJK.search(text):
        return "gb18030"
    if best is None:
        raise FileRefused(
            _("Cannot tell the file's text encoding: save it as UTF-8 CSV or XLSX."), field="file"
        )
    return best.encoding


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _decodes(sample: bytes, encoding: str) -> str:
    """The sample decoded ("" when it is not valid in this encoding; a character cut at its end is fine)."""
    try:
        return codecs.getincrementaldecoder(encoding)().decode(sample, final=False) or " "
    except UnicodeDecodeError:
        return ""


@dataclass(frozen=True)
class Row:
    line: int  # the row's number in the file or sheet (the header is 1)
    values: dict[str, Any]


def _csv_rows(stream: IO[bytes], mapping: Mapping[str, str]) -> Iterator[Row]:
    sample = stream.read(SNIFF_BYTES)
    encoding = detect_encoding(sample)
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    try:
        reader = csv.reader(text)
        headers = next(reader, None)
        if not headers:
            raise FileRefused(_("The file is empty."), field="file")
        positions = _positions(headers, mapping)
        for number, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            yield Row(number, {c: (record[i] if i < len(record) else "") for c, i in positions.items()})
    except UnicodeDecodeError as err:
        raise FileRefused(
            _("The file is not valid %(encoding)s text (byte %(position)s): save it as UTF-8 CSV or XLSX.")
            % {"encoding": encoding, "position": err.start},
            field="file",
        ) from None
    except csv.Error as err:
        raise FileRefused(_("Not a readable CSV file: %(error)s") % {"error": err}, field="file") from None
    finally:
        text.detach()


def _xlsx_rows(stream: IO[bytes], mapping: Mapping[str, str]) -> Iterator[Row]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception:
        raise FileRefused(_("Not a readable XLSX workbook."), field="file") from None
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        headers = next(rows, None)
        if not headers:
            raise FileRefused(_("The file is empty."), field="file")
        positions = _positions(list(headers), mapping)
        for number, record in enumerate(rows, start=2):
            if not any(cell not in (None, "") for cell in record):
                continue
            yield Row(number, {c: (record[i] if i < len(record) else None) for c, i in positions.items()})
    finally:
        book.close()


def read_rows(stream: IO[bytes], *, name: str, mapping: Mapping[str, str] | None = None) -> Iterator[Row]:
    """The rows of an order file (by content: an XLSX is a zip; anything else is read as CSV)."""
    head = stream.read(4)
    stream.seek(0)
    if head.startswith(b"PK\x03\x04") or Path(name).suffix.lower() in {".xlsx", ".xlsm"}:
        return _xlsx_rows(stream, mapping or {})
    return _csv_rows(stream, mapping or {})

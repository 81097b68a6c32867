"""Small generators of hostile spreadsheets: zips written by hand around deflate streams that
inflate to far more than they weigh (a 2 GiB cell in 2 MB), with sizes declared honestly or not.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_BLOCK = 1 << 20
_CRC_UP_TO = 256 * 1024 * 1024  # larger parts get CRC 0: they must be refused before their end


@dataclass
class Part:
    name: str
    compressed: bytes  # a raw deflate stream
    size: int  # the size it inflates to
    # 0 when not worth computing (a huge part): the file must then be refused before its end,
    # as zipfile checks the CRC when it reads the last bytes.
    crc: int
    method: int = 8  # 8: deflated; 0: stored (an ODF file's "mimetype" must be)


def part(name: str, data: bytes, *, stored: bool = False) -> Part:
    if stored:
        return Part(name, data, len(data), zlib.crc32(data), 0)
    return Part(name, _deflate(data), len(data), zlib.crc32(data))


def repeated_part(name: str, prefix: bytes, unit: bytes, count: int, suffix: bytes) -> Part:
    """`prefix + unit * count + suffix`, deflated without ever building it: one block of
    units is compressed after a full flush (no history), and its bytes are repeated."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = [compressor.compress(prefix), compressor.flush(zlib.Z_FULL_FLUSH)]
    per_block = max(1, _BLOCK // len(unit))
    blocks, rest = divmod(count, per_block)
    if blocks:
        block = compressor.compress(unit * per_block) + compressor.flush(zlib.Z_FULL_FLUSH)
        out.extend([block] * blocks)
    out.append(compressor.compress(unit * rest + suffix))
    out.append(compressor.flush())
    size = len(prefix) + len(unit) * count + len(suffix)
    crc = 0
    if size <= _CRC_UP_TO:
        crc = zlib.crc32(prefix)
        for _ in range(blocks):
            crc = zlib.crc32(unit * per_block, crc)
        crc = zlib.crc32(unit * rest + suffix, crc)
    return Part(name, b"".join(out), size, crc)


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def write_zip(path: Path, parts: list[Part], declared: dict[str, int] | None = None) -> Path:
    """A zip of `parts`; `declared` overrides the size a part's headers state (a lie)."""
    declared = declared or {}
    body = bytearray()
    central = bytearray()
    for item in parts:
        name = item.name.encode()
        size = declared.get(item.name, item.size)
        offset = len(body)
        body += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, item.method, 0, 0x21,
                            item.crc, len(item.compressed), size, len(name), 0)  # fmt: skip
        body += name + item.compressed
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, item.method, 0, 0x21,
                               item.crc, len(item.compressed), size, len(name), 0, 0, 0, 0, 0,
                               offset)  # fmt: skip
        central += name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(parts), len(parts), len(central),
                      len(body), 0)  # fmt: skip
    path.write_bytes(bytes(body) + bytes(central) + end)
    return path


def workbook_parts(sheet: Part, *extra: Part) -> list[Part]:
    """The parts around one sheet that make a zip an XLSX."""
    types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
    )
    workbook = (
        f'<?xml version="1.0"?><workbook xmlns="{SHEET_NS}"><sheets><sheet name="Petugas" '
        'sheetId="1"/></sheets></workbook>'
    )
    return [part("[Content_Types].xml", types.encode()),
            part("xl/workbook.xml", workbook.encode()), sheet, *extra]  # fmt: skip


def sheet_xml(rows: str) -> bytes:
    return (
        f'<?xml version="1.0"?><worksheet xmlns="{SHEET_NS}"><sheetData>{rows}</sheetData>'
        "</worksheet>"
    ).encode()

"""LSFS record stream files, format version 1: an independent reader and writer.

Written from the text of spec/lsfs-format.md (no code of the reference engine was copied), with the
Python 3.11 standard library only. The requirement identifiers (RSF-nnn) in the comments name
the rule of the spec that a piece of code implements.

Public API:

    f = LsfsFile.open(path)             # checks the file header (RSF-022), raises LsfsError
    result = f.scan(salvage=False)      # ScanResult: records, gaps, tail, error (§9)
    info = f.open_info()                # OpenInfo: what an O(1) open from the tail finds (§10)
    rec = f.lookup(index)               # Record (§11)
    f.close()

    w = Writer.create(path, block_size=4096, file_id=None, base_index=0)
    w.append(type_code, payload)        # payload: bytes-like or RepeatPayload
    w.sync(); w.close()

How this implementation reads the spec where it meets the protocol is listed in README.md next to
this file (and in appendix B of conformance/PROTOCOL.md).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import struct
import sys
from dataclasses import dataclass, field
from typing import Iterator, Optional

# ---------------------------------------------------------------------------------------------
# §2 constants
# ---------------------------------------------------------------------------------------------

FILE_HEADER_SIZE = 64
BLOCK_HEADER_SIZE = 32
SLICE_HEADER_SIZE = 8
SLICE_TRAILER_SIZE = 4
SLICE_OVERHEAD = 12
RECORD_HEADER_SIZE = 12
MIN_RECORD_START = 24
BLOCK_SIZE_LOG2_MIN = 9
BLOCK_SIZE_LOG2_MAX = 16
DEFAULT_BLOCK_SIZE = 4096
MAX_PAYLOAD_LENGTH = 1 << 30
MAX_TYPE_CODE = (1 << 64) - 1
MAX_RECORD_INDEX = (1 << 64) - 2
U64_MAX = (1 << 64) - 1

FILE_MAGIC = b"\x89LSF\r\n\x1a\n"
BLOCK_MAGIC = b"LSBK"
SLICE_MAGIC = b"SL"
FORMAT_VERSION = 1

FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4

# §12 error codes
TRUNCATED_HEADER = "TRUNCATED_HEADER"
BAD_MAGIC = "BAD_MAGIC"
UNSUPPORTED_VERSION = "UNSUPPORTED_VERSION"
UNSUPPORTED_FEATURE = "UNSUPPORTED_FEATURE"
BAD_BLOCK_SIZE = "BAD_BLOCK_SIZE"
CHECKSUM_MISMATCH = "CHECKSUM_MISMATCH"
FOREIGN_BLOCK = "FOREIGN_BLOCK"
MISPLACED_BLOCK = "MISPLACED_BLOCK"
INDEX_OUT_OF_ORDER = "INDEX_OUT_OF_ORDER"
BAD_SLICE = "BAD_SLICE"
BAD_PADDING = "BAD_PADDING"
RECORD_TOO_LARGE = "RECORD_TOO_LARGE"
TORN_TAIL = "TORN_TAIL"
INDEX_OVERFLOW = "INDEX_OVERFLOW"
INDEX_OUT_OF_RANGE = "INDEX_OUT_OF_RANGE"
LOCKED = "LOCKED"
CLOSED = "CLOSED"
INVALID_ARGUMENT = "INVALID_ARGUMENT"
IO_ERROR = "IO_ERROR"

ERROR_CODES = (
    TRUNCATED_HEADER, BAD_MAGIC, UNSUPPORTED_VERSION, UNSUPPORTED_FEATURE, BAD_BLOCK_SIZE,
    CHECKSUM_MISMATCH, FOREIGN_BLOCK, MISPLACED_BLOCK, INDEX_OUT_OF_ORDER, BAD_SLICE,
    BAD_PADDING, RECORD_TOO_LARGE, TORN_TAIL, INDEX_OVERFLOW, INDEX_OUT_OF_RANGE, LOCKED,
    CLOSED, INVALID_ARGUMENT, IO_ERROR,
)


class LsfsError(Exception):
    """An LSFS failure: a §12 code, a message and, for a place in a file, its offset."""

    def __init__(self, code: str, offset: Optional[int] = None, message: str = ""):
        super().__init__(f"{code}" + (f" at offset {offset}" if offset is not None else "")
                         + (f": {message}" if message else ""))
        self.code = code
        self.offset = offset
        self.message = message or code


# ---------------------------------------------------------------------------------------------
# §3 CRC-32C (Castagnoli), table driven
# ---------------------------------------------------------------------------------------------

_POLY_REFLECTED = 0x82F63B78


def _make_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ _POLY_REFLECTED if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _make_table()
# A second table that consumes two bytes per step (about 1.5x faster in CPython): entry x is the
# register after feeding the bytes x & 0xFF and x >> 8 into a register of 0.
_TABLE16 = [0] * 65536
for _x in range(65536):
    _c = _TABLE[_x & 0xFF]
    _TABLE16[_x] = _TABLE[(_c ^ (_x >> 8)) & 0xFF] ^ (_c >> 8)
del _x, _c
_LITTLE_ENDIAN_HOST = sys.byteorder == "little"


def crc32c(data, value: int = 0) -> int:
    """CRC-32C of `data`; pass a previous result as `value` to continue it (like zlib.crc32)."""
    c = value ^ 0xFFFFFFFF
    mv = memoryview(data)
    if mv.ndim != 1 or mv.itemsize != 1:
        mv = mv.cast("B")
    t = _TABLE
    n = len(mv)
    if _LITTLE_ENDIAN_HOST and n >= 32:
        even = n & ~1
        t16 = _TABLE16
        for w in mv[:even].cast("H"):
            c = t16[(c ^ w) & 0xFFFF] ^ (c >> 16)
        mv = mv[even:]
    for b in mv:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF



def _crc32c_bytewise(data, value: int = 0) -> int:
    c = value ^ 0xFFFFFFFF
    for b in bytes(data):
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def _crc_self_check() -> None:
    """§3: the check value of "123456789", the CRC of no bytes, continuation, and agreement of
    the two-byte table with the one-byte table."""
    sample = bytes(range(256)) * 3 + b"xyz"
    if (crc32c(b"123456789") != 0xE3069283 or _crc32c_bytewise(b"123456789") != 0xE3069283
            or crc32c(b"") != 0 or crc32c(b"56789", crc32c(b"1234")) != 0xE3069283
            or crc32c(sample) != _crc32c_bytewise(sample)
            or crc32c(sample[100:], crc32c(sample[:100])) != crc32c(sample)):
        raise ImportError("CRC-32C self-check failed")


_crc_self_check()

# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


def _u16(b, off=0):
    return _U16.unpack_from(b, off)[0]


def _u32(b, off=0):
    return _U32.unpack_from(b, off)[0]


def _u64(b, off=0):
    return _U64.unpack_from(b, off)[0]


def _slice_context(file_id: int, offset: int) -> bytes:
    # §3: context = file_id (u64) || slice_offset (u64)
    return _U64.pack(file_id) + _U64.pack(offset)


def is_valid_block_size(block_size: int) -> bool:
    return (isinstance(block_size, int) and 512 <= block_size <= 65536
            and block_size & (block_size - 1) == 0)  # RSF-001


# ---------------------------------------------------------------------------------------------
# Byte access
# ---------------------------------------------------------------------------------------------

class _Source:
    """Read-only random access to a file's bytes (memory-mapped)."""

    def __init__(self, path: str):
        import mmap
        try:
            self._f = open(path, "rb")
            self.size = os.fstat(self._f.fileno()).st_size
            self._mm = None
            if self.size > 0:
                self._mm = mmap.mmap(self._f.fileno(), 0, access=mmap.ACCESS_READ)
        except OSError as e:
            raise LsfsError(IO_ERROR, None, f"{path}: {e.strerror or e}") from None

    def read(self, offset: int, n: int) -> bytes:
        """Up to n bytes at offset (fewer at the end of the file)."""
        if offset >= self.size or n <= 0:
            return b""
        return self._mm[offset:offset + n]

    def rfind(self, sub: bytes, start: int, end: int) -> int:
        if self._mm is None:
            return -1
        return self._mm.rfind(sub, start, end)

    def close(self):
        if self._mm is not None:
            self._mm.close()
            self._mm = None
        self._f.close()


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------

@dataclass
class FileHeader:
    block_size_log2: int
    block_size: int
    file_id: int
    base_index: int


@dataclass
class Record:
    index: int
    type: int
    length: int              # payload length
    sha256: str              # of the payload, lowercase hex
    data: Optional[bytes]    # the payload, or None when it was longer than the caller's keep limit
    offset: int              # file offset of its FULL or FIRST slice
    end: int                 # file offset just after its FULL or LAST slice


@dataclass
class Damage:
    code: str
    offset: int


@dataclass
class Gap:
    code: str
    offset: int
    length: int


@dataclass
class ScanResult:
    records: list = field(default_factory=list)
    gaps: list = field(default_factory=list)      # salvage only
    tail: Optional[Damage] = None                 # TORN_TAIL and its offset
    error: Optional[Damage] = None                # strict: interior damage; both: unreadable header


@dataclass
class OpenInfo:
    header: FileHeader
    end: int                     # E, the end of the log (§10)
    first_index: Optional[int]
    last_index: Optional[int]
    tail: Optional[Damage]


# ---------------------------------------------------------------------------------------------
# §4 file header
# ---------------------------------------------------------------------------------------------

def parse_file_header(b: bytes) -> FileHeader:
    """RSF-022: the checks in the spec's order, stopping at the first failure."""
    if len(b) < FILE_HEADER_SIZE:
        raise LsfsError(TRUNCATED_HEADER, 0, "the file is shorter than its 64-byte header")
    if b[0:8] != FILE_MAGIC:
        raise LsfsError(BAD_MAGIC, 0, "not an LSFS file")
    if _u16(b, 8) != FORMAT_VERSION:
        raise LsfsError(UNSUPPORTED_VERSION, 8, f"format_version {_u16(b, 8)}")
    if crc32c(b[0:60]) != _u32(b, 60):
        raise LsfsError(CHECKSUM_MISMATCH, 60, "file header_crc")
    log2 = b[10]
    if not BLOCK_SIZE_LOG2_MIN <= log2 <= BLOCK_SIZE_LOG2_MAX:
        raise LsfsError(BAD_BLOCK_SIZE, 10, f"block_size_log2 {log2}")
    if b[11] != 0:
        raise LsfsError(UNSUPPORTED_FEATURE, 11, "reserved_0 is not zero")
    if _u32(b, 12) != 0:
        raise LsfsError(UNSUPPORTED_FEATURE, 12, "feature_flags are not zero")
    if any(b[32:60]):
        raise LsfsError(UNSUPPORTED_FEATURE, 32, "reserved_1 is not zero")
    # Every base_index is readable; at 2^64 - 1 the file can hold no record (RSF-003).
    return FileHeader(log2, 1 << log2, _u64(b, 16), _u64(b, 24))


def build_file_header(block_size: int, file_id: int, base_index: int) -> bytes:
    h = bytearray(FILE_HEADER_SIZE)
    h[0:8] = FILE_MAGIC
    _U16.pack_into(h, 8, FORMAT_VERSION)
    h[10] = block_size.bit_length() - 1
    _U64.pack_into(h, 16, file_id)
    _U64.pack_into(h, 24, base_index)
    _U32.pack_into(h, 60, crc32c(h[0:60]))
    return bytes(h)


def build_block_header(file_id: int, block_number: int, first_index: int) -> bytes:
    body = _U64.pack(file_id) + _U64.pack(block_number) + _U64.pack(first_index)
    return BLOCK_MAGIC + _U32.pack(crc32c(body)) + body


def build_slice(file_id: int, offset: int, kind: int, data) -> bytes:
    head6 = SLICE_MAGIC + bytes((kind, 0)) + _U16.pack(len(data))
    c = crc32c(head6, crc32c(_slice_context(file_id, offset)))
    head8 = head6 + _U16.pack(c & 0xFFFF)
    crc = crc32c(data, crc32c(head8[6:8], c))     # CRC(context || header || data)
    return head8 + bytes(data) + _U32.pack(crc)


# ---------------------------------------------------------------------------------------------
# Reading (§5-§11)
#
# One block is parsed alone by the rules that hold within a block (`_parse_block`: RSF-031,
# RSF-042, the "within its block" rules of RSF-052, RSF-062). The forward scan (`_events`) adds
# the rules across blocks (RSF-032, the "across blocks" rules of RSF-052), numbers records by
# RSF-073 and resumes after damage as RSF-072 says; strict reads, salvage reads and lookups consume
# its events. Open (§10) parses the blocks at the tail one at a time.
# ---------------------------------------------------------------------------------------------

class _Slice:
    """An intact slice (checks 1 to 8 of RSF-042 passed) that also passed the rules within its
    block. `type` and `length` are its record header's fields for a FULL or FIRST slice."""
    __slots__ = ("offset", "kind", "dl", "end", "data", "type", "length")

    def __init__(self, offset, kind, dl, end, data, type_=None, length=None):
        self.offset = offset
        self.kind = kind
        self.dl = dl
        self.end = end
        self.data = data
        self.type = type_
        self.length = length


class _Dmg:
    """Damage: its §12 code, the offset of the structure in which it was found, and the range
    [offset, end) it loses (RSF-042, RSF-072 rule 1)."""
    __slots__ = ("code", "offset", "end", "kind", "resumable", "starts_record")

    def __init__(self, code, offset, end, kind=None, resumable=False, starts_record=False):
        self.code = code
        self.offset = offset
        self.end = max(end, offset + 1)
        self.kind = kind                    # the slice's kind when its header passed checks 1-6
        self.resumable = resumable          # the parse goes on at `end` (RSF-042 failures 8, 9)
        self.starts_record = starts_record  # a FULL or FIRST slice: it uses up an index (RSF-073)

    def __repr__(self):
        return f"_Dmg({self.code}, {self.offset}, end={self.end})"


class _Block:
    """Block k parsed alone (from its data start)."""
    __slots__ = ("k", "start", "end", "first_index", "header_damage", "items", "ends_in")

    def __init__(self, k, start, end):
        self.k = k
        self.start = start
        self.end = end                  # the block's end (it may lie beyond the file's end)
        self.first_index = None         # base_index for block 0
        self.header_damage = None       # RSF-031 failure: the whole block is lost
        self.items = []                 # _Slice and _Dmg in file order
        # What the parse of the block stopped at: "end" (its end), "damage" (damage that loses
        # the rest of the block), "padding" (valid padding that the file ends inside or right
        # after), "eof" (the file ends right after the last item, or after the block header).
        self.ends_in = "end"


class _Asm:
    """A record in progress (between its FIRST and its LAST slice)."""
    __slots__ = ("index", "start", "type", "length", "remaining", "hasher", "chunks")

    def __init__(self, index, start, type_, length, remaining, hasher, chunks):
        self.index = index
        self.start = start          # file offset of its FIRST slice
        self.type = type_
        self.length = length
        self.remaining = remaining  # record data bytes (header and payload) still to come
        self.hasher = hasher
        self.chunks = chunks        # payload pieces, or None when the payload is not kept


def _leads_with_continuation(items) -> bool:
    """The block begins with a MIDDLE or LAST slice (intact, or damaged after checks 1 to 6)."""
    return bool(items) and items[0].kind in (MIDDLE, LAST)


class LsfsFile:
    """A file opened for reading. The header is checked when it is opened."""

    def __init__(self, src: _Source, header: FileHeader):
        self._src = src
        self.header = header
        self.size = src.size
        self.block_size = header.block_size
        self.file_id = header.file_id
        self.base_index = header.base_index
        self._fid = _U64.pack(header.file_id)
        self._last_intact = None

    @classmethod
    def open(cls, path: str) -> "LsfsFile":
        src = _Source(path)
        try:
            header = parse_file_header(src.read(0, FILE_HEADER_SIZE))
        except BaseException:
            src.close()
            raise
        return cls(src, header)

    def close(self):
        self._src.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- structure checks ----------------------------------------------------------------------

    def _block_header_problem(self, k: int, hb: bytes) -> Optional[str]:
        """RSF-031, in order: magic, header_crc, file_id, block_number. hb holds 32 bytes."""
        if hb[0:4] != BLOCK_MAGIC:
            return BAD_MAGIC
        if crc32c(hb[8:32]) != _u32(hb, 4):
            return CHECKSUM_MISMATCH
        if _u64(hb, 8) != self.file_id:
            return FOREIGN_BLOCK
        if _u64(hb, 16) != k:
            return MISPLACED_BLOCK
        return None

    def _block_header_damage(self, k: int) -> Optional[_Dmg]:
        """The damage of block k's header (k >= 1), or None when it passes RSF-031."""
        B = k * self.block_size
        hb = self._src.read(B, BLOCK_HEADER_SIZE)
        if len(hb) < BLOCK_HEADER_SIZE:
            return _Dmg(TORN_TAIL, B, self.size)
        problem = self._block_header_problem(k, hb)
        if problem is not None:
            return _Dmg(problem, B, min(B + self.block_size, self.size))
        return None

    def _block_header_intact(self, k: int) -> bool:
        return self._block_header_damage(k) is None

    def _slice_intact(self, q: int) -> bool:
        """§9: magic, header_check and slice_crc right for q; the slice lies within its block and
        within the file (its kind and reserved byte do not matter)."""
        h = self._src.read(q, SLICE_HEADER_SIZE)
        if len(h) < SLICE_HEADER_SIZE or h[0:2] != SLICE_MAGIC:
            return False
        c = crc32c(h[0:6], crc32c(_slice_context(self.file_id, q)))
        if c & 0xFFFF != _u16(h, 6):
            return False
        dl = _u16(h, 4)
        end = q + SLICE_OVERHEAD + dl
        if end > (q // self.block_size + 1) * self.block_size or end > self.size:
            return False
        data = self._src.read(q + SLICE_HEADER_SIZE, dl)
        return crc32c(data, crc32c(h[6:8], c)) == _u32(self._src.read(end - 4, 4))

    def _last_intact_offset(self) -> int:
        """The largest offset at which an intact structure (§9) starts, or -1. Computed from the
        end of the file backwards, so it only reads the region after the last intact structure."""
        if self._last_intact is None:
            bs = self.block_size
            lb = -1
            for k in range((self.size - 1) // bs, 0, -1):
                if self._block_header_intact(k):
                    lb = k * bs
                    break
            ls = -1
            lo = max(lb + 1, FILE_HEADER_SIZE)
            end = self.size
            while end - lo >= 2:
                q = self._src.rfind(SLICE_MAGIC, lo, end)
                if q < 0:
                    break
                if self._slice_intact(q):
                    ls = q
                    break
                end = q + 1
            self._last_intact = max(lb, ls)
        return self._last_intact

    def damage_is_interior(self, offset: int) -> bool:
        """RSF-070: damage found at offset d is interior when an intact structure starts at an
        offset q >= d (§9), at the tail otherwise. "At" counts: damage found in a structure that
        is itself intact (a slice out of sequence, a wrong first_index) is always interior."""
        return self._last_intact_offset() >= offset

    # -- one block -----------------------------------------------------------------------------

    def _parse_block(self, k: int) -> _Block:
        """Block k from its data start: RSF-031, then each slice by RSF-042 (checks 1 to 8) and
        the rules of RSF-052 that hold within one block, and the padding (RSF-062)."""
        bs, size = self.block_size, self.size
        B = k * bs
        blk = _Block(k, B, B + bs)
        block_end = blk.end
        stop = min(block_end, size)
        if k == 0:
            blk.first_index = self.base_index
            q = FILE_HEADER_SIZE
        else:
            d = self._block_header_damage(k)
            if d is not None:
                blk.header_damage = d
                blk.ends_in = "damage"
                return blk
            blk.first_index = _u64(self._src.read(B + 24, 8))
            q = B + BLOCK_HEADER_SIZE
        data_start = q
        buf = self._src.read(B, stop - B)      # one block at most (RSF-005)
        items = blk.items

        def damage(d: _Dmg) -> bool:
            items.append(d)
            if not d.resumable:
                blk.ends_in = "damage"
            return d.resumable

        while True:
            if q >= size:
                blk.ends_in = "eof"             # the file ends right here
                return blk
            if q >= block_end:
                return blk                      # the last slice filled the block
            if block_end - q < MIN_RECORD_START:
                # §8 step 1: too little room for a record: padding, zero to the block's end
                if any(buf[q - B:stop - B]):
                    damage(_Dmg(BAD_PADDING, q, stop))             # RSF-062
                elif block_end > size or block_end == size:
                    blk.ends_in = "padding"     # the file ends inside or right after padding
                return blk
            # a slice at q: RSF-042, in order
            if size - q < SLICE_HEADER_SIZE:
                damage(_Dmg(TORN_TAIL, q, size))                   # 1
                return blk
            h = buf[q - B:q - B + SLICE_HEADER_SIZE]
            if h[0:2] != SLICE_MAGIC:
                damage(_Dmg(BAD_MAGIC, q, stop))                   # 2
                return blk
            c = crc32c(h[0:6], crc32c(self._fid + _U64.pack(q)))
            if c & 0xFFFF != _u16(h, 6):
                damage(_Dmg(CHECKSUM_MISMATCH, q, stop))           # 3
                return blk
            kind = h[2]
            if not FULL <= kind <= LAST:
                damage(_Dmg(BAD_SLICE, q, stop))                   # 4
                return blk
            if h[3] != 0:
                damage(_Dmg(UNSUPPORTED_FEATURE, q, stop))         # 5
                return blk
            dl = _u16(h, 4)
            end = q + SLICE_OVERHEAD + dl
            starts = kind in (FULL, FIRST)
            if end > block_end:
                damage(_Dmg(BAD_SLICE, q, stop))                   # 6
                return blk
            if end > size:
                damage(_Dmg(TORN_TAIL, q, size, kind, False, starts))   # 7
                return blk
            data = buf[q - B + SLICE_HEADER_SIZE:end - B - SLICE_TRAILER_SIZE]
            if crc32c(data, crc32c(h[6:8], c)) != _u32(buf, end - B - SLICE_TRAILER_SIZE):
                damage(_Dmg(CHECKSUM_MISMATCH, q, end, kind, True, starts))   # 8
                q = end
                continue
            # 9: RSF-052, the rules within one block, in order
            problem = None
            typ = n = None
            if kind in (MIDDLE, LAST):
                if q != data_start:
                    problem = BAD_SLICE          # MIDDLE and LAST stand first in their block
                elif kind == MIDDLE and end != block_end:
                    problem = BAD_SLICE          # a MIDDLE slice fills its block
                elif kind == LAST and dl == 0:
                    problem = BAD_SLICE          # a LAST slice holds at least 1 byte
            elif dl < RECORD_HEADER_SIZE:
                problem = BAD_SLICE              # no room for the record header
            else:
                typ = _u64(data, 0)
                n = _u32(data, 8)
                if n > MAX_PAYLOAD_LENGTH:
                    problem = RECORD_TOO_LARGE   # RSF-051
                elif kind == FIRST and end != block_end:
                    problem = BAD_SLICE          # a FIRST slice fills its block
                elif kind == FULL and dl != RECORD_HEADER_SIZE + n:
                    problem = BAD_SLICE          # RSF-050
                elif kind == FIRST and dl >= RECORD_HEADER_SIZE + n:
                    problem = BAD_SLICE          # a FIRST slice leaves some of its record to come
            if problem is not None:
                damage(_Dmg(problem, q, end, kind, True, starts))
            else:
                items.append(_Slice(q, kind, dl, end, data, typ, n))
            q = end

    def _first_damage_in(self, blk: _Block) -> Optional[_Dmg]:
        """The first damage of a block parsed alone, including INDEX_OVERFLOW of a record that
        starts in it (its index follows from first_index by RSF-073)."""
        if blk.header_damage is not None:
            return blk.header_damage
        index = blk.first_index + (1 if _leads_with_continuation(blk.items) else 0)
        for pos, item in enumerate(blk.items):
            if isinstance(item, _Dmg):
                return item
            if item.kind in (FULL, FIRST):
                if index > MAX_RECORD_INDEX:
                    return _Dmg(INDEX_OVERFLOW, item.offset, item.end, item.kind, True, True)
                index += 1
        return None

    @staticmethod
    def _record_ends_in(blk: _Block, before: Optional[int] = None) -> list:
        """[(end, index)] of the records that end in a block parsed alone (its FULL slices and a
        leading LAST slice, numbered by RSF-073), among its items before position `before`."""
        out = []
        items = blk.items if before is None else blk.items[:before]
        lead = _leads_with_continuation(blk.items)
        index = blk.first_index + (1 if lead else 0)
        for pos, item in enumerate(items):
            if pos == 0 and lead:
                if isinstance(item, _Slice) and item.kind == LAST:
                    out.append((item.end, blk.first_index))   # the end of record first_index
                continue
            if isinstance(item, _Slice):
                if item.kind == FULL:
                    out.append((item.end, index))
                if item.kind in (FULL, FIRST):
                    index += 1
            elif item.starts_record:
                index += 1
        return out

    # -- the forward scan ----------------------------------------------------------------------

    def _events(self, start_block: int = 0, keep_limit: Optional[int] = None) -> Iterator[tuple]:
        """The forward scan from block `start_block`. Events:

            ("record", Record)            a whole record whose slices are all intact
            ("damage", _Dmg, lost_start)  damage; lost_start is the FIRST slice of a record in
                                          progress that it loses, or the damage's own offset
            ("eof",)                      the end of the file

        After damage the scan goes on as a salvage read does (RSF-072); a strict read stops at
        the first damage. Started at a later block (§11), the scan takes that block's first_index
        and passes over a continuation the block begins with (its record started earlier)."""
        bs, size = self.block_size, self.size
        last_block = (size - 1) // bs
        next_idx = self.base_index        # the index of the next FULL or FIRST slice (RSF-073)
        cont: Optional[_Asm] = None
        gap_open = False                  # damage since the last returned record
        last_returned = None
        ends_in = "end"

        def lost(d: _Dmg):
            nonlocal cont, gap_open
            ev = ("damage", d, cont.start if cont is not None else d.offset)
            cont = None
            gap_open = True
            return ev

        for k in range(start_block, last_block + 1):
            blk = self._parse_block(k)
            ends_in = blk.ends_in
            if blk.header_damage is not None:
                yield lost(blk.header_damage)
                continue
            items = blk.items
            fi = blk.first_index
            lead = _leads_with_continuation(items)
            if k == start_block:
                # RSF-073: a block that begins with a MIDDLE or LAST slice (of record first_index)
                # numbers its first new record first_index + 1; block 0 too (its first_index is
                # base_index), where such a slice continues no record and is damage below.
                next_idx = fi + 1 if lead else fi
                if lead and k > 0:
                    items = items[1:]     # the end of a record that began before the scan
            elif k > 0:
                if gap_open:
                    # RSF-072 rule 4: after a gap the block sets the index if its first_index is
                    # above the last returned record (with none returned: not below base_index);
                    # otherwise its first slice would belong to a record already returned.
                    lowest = last_returned + 1 if last_returned is not None else self.base_index
                    good = fi >= lowest
                else:
                    # RSF-032: the record in progress; with none in progress, the next record, or
                    # the one before it when the block begins with a MIDDLE or LAST slice (that
                    # slice's record, whose FIRST slice is missing: the slice is BAD_SLICE below)
                    expected = cont.index if cont is not None else (next_idx - 1 if lead else next_idx)
                    good = fi == expected
                if not good:
                    yield lost(_Dmg(INDEX_OUT_OF_ORDER, blk.start, min(blk.end, size)))
                    ends_in = "damage"
                    continue
                # RSF-073: the records that start in this block are numbered from its first_index
                # (+ 1 after a leading MIDDLE or LAST slice), whatever was counted before it.
                next_idx = fi + 1 if lead else fi
            for item in items:
                if isinstance(item, _Dmg):
                    if item.starts_record:
                        next_idx += 1     # RSF-073: it counts whatever failed after check 6
                    yield lost(item)
                    continue
                s = item
                if s.kind in (FULL, FIRST):
                    index = next_idx
                    next_idx += 1
                    # RSF-052 across blocks: no record in progress, then the index
                    problem = BAD_SLICE if cont is not None else (
                        INDEX_OVERFLOW if index > MAX_RECORD_INDEX else None)
                    if problem is not None:
                        yield lost(_Dmg(problem, s.offset, s.end, s.kind, True, True))
                        continue
                    payload = s.data[RECORD_HEADER_SIZE:]
                    keep = keep_limit is None or s.length <= keep_limit
                    if s.kind == FULL:
                        rec = Record(index, s.type, s.length, hashlib.sha256(payload).hexdigest(),
                                     bytes(payload) if keep else None, s.offset, s.end)
                        last_returned, gap_open = index, False
                        yield ("record", rec)
                    else:
                        # RSF-051 / RSF-005: nothing is allocated by the claimed length; the
                        # payload is hashed as its slices come and kept only when small.
                        cont = _Asm(index, s.offset, s.type, s.length,
                                    RECORD_HEADER_SIZE + s.length - s.dl,
                                    hashlib.sha256(payload), [bytes(payload)] if keep else None)
                    continue
                # MIDDLE or LAST, RSF-052 across blocks
                if cont is None:
                    yield lost(_Dmg(BAD_SLICE, s.offset, s.end, s.kind, True, False))  # orphan
                    continue
                if (s.dl >= cont.remaining) if s.kind == MIDDLE else (s.dl != cont.remaining):
                    yield lost(_Dmg(BAD_SLICE, s.offset, s.end, s.kind, True, False))
                    continue
                cont.hasher.update(s.data)
                if cont.chunks is not None:
                    cont.chunks.append(bytes(s.data))
                cont.remaining -= s.dl
                if s.kind == LAST:
                    a, cont = cont, None
                    rec = Record(a.index, a.type, a.length, a.hasher.hexdigest(),
                                 b"".join(a.chunks) if a.chunks is not None else None,
                                 a.start, s.end)
                    last_returned, gap_open = a.index, False
                    yield ("record", rec)
        # §10 step 7: a file that ends inside a record (after its FIRST or a MIDDLE slice), inside
        # or right after padding, or right after a block header ends inside the log: a torn tail.
        if cont is not None or ends_in in ("padding",) or (ends_in == "eof" and self._ends_after_header()):
            yield lost(_Dmg(TORN_TAIL, size, size))
        yield ("eof",)

    def _ends_after_header(self) -> bool:
        """The file ends right after the header of its last block (k >= 1)."""
        k = (self.size - 1) // self.block_size
        return k > 0 and self.size == k * self.block_size + BLOCK_HEADER_SIZE

    # -- §9 reads ------------------------------------------------------------------------------

    def scan(self, salvage: bool = False, keep_limit: Optional[int] = None) -> ScanResult:
        return self._salvage(keep_limit) if salvage else self._strict(keep_limit)

    def _strict(self, keep_limit) -> ScanResult:
        """RSF-071: the records before the first damage; interior damage is the error, damage at
        the tail is TORN_TAIL where the last whole record ends."""
        res = ScanResult()
        last_end = FILE_HEADER_SIZE
        for ev in self._events(0, keep_limit):
            if ev[0] == "record":
                res.records.append(ev[1])
                last_end = ev[1].end
            elif ev[0] == "damage":
                d = ev[1]
                if self.damage_is_interior(d.offset):
                    res.error = Damage(d.code, d.offset)
                elif last_end < self.size:
                    res.tail = Damage(TORN_TAIL, last_end)
                break
        return res

    def _salvage(self, keep_limit) -> ScanResult:
        """RSF-072: every record whose slices are all intact, the rest as gaps; the scan stops at
        the first damage at the tail, and the torn tail starts at T, the larger of the end of the
        last returned record and the end of the last gap (64 when there is neither)."""
        res = ScanResult()
        last_end = FILE_HEADER_SIZE
        gap = None   # [start, end, code]: the open gap

        def close():
            nonlocal gap
            if gap is not None:
                res.gaps.append(Gap(gap[2], gap[0], gap[1] - gap[0]))
                gap = None

        def covered() -> int:
            t = last_end
            if gap is not None:
                t = max(t, gap[1])
            if res.gaps:
                t = max(t, res.gaps[-1].offset + res.gaps[-1].length)
            return t

        for ev in self._events(0, keep_limit):
            if ev[0] == "record":
                close()
                res.records.append(ev[1])
                last_end = ev[1].end
            elif ev[0] == "damage":
                d, lost_start = ev[1], ev[2]
                if not self.damage_is_interior(d.offset):
                    t = covered()
                    close()
                    if t < self.size:
                        res.tail = Damage(TORN_TAIL, t)
                    return res
                # rule 2: a gap runs from its first lost byte to the end of its last lost range,
                # with the code of the damage that opened it
                if gap is None:
                    gap = [lost_start, d.end, d.code]
                else:
                    gap[1] = max(gap[1], d.end)
            else:
                t = covered()
                close()
                if t < self.size:
                    res.tail = Damage(TORN_TAIL, t)
        return res

    # -- §10 open ------------------------------------------------------------------------------

    def _fail(self, d: _Dmg, what: str):
        raise LsfsError(d.code, d.offset, what)

    def open_info(self) -> OpenInfo:
        """§10: the end of the log from the tail. Raises LsfsError for interior damage found
        there (and never reads the whole file: RSF-080)."""
        bs, size = self.block_size, self.size
        k = (size - 1) // bs                                  # 1: K, the last block
        while k > 0 and not self._block_header_intact(k):    # 2: the last intact block header
            k -= 1
        blk = self._parse_block(k)
        items = blk.items
        lead = items[0] if items else None
        if k == 0 and isinstance(lead, _Slice) and lead.kind in (MIDDLE, LAST):
            # 3, for block 0: there is no block before it, so the slice continues no record
            self._fail(_Dmg(BAD_SLICE, lead.offset, lead.end), "block 0 begins with a slice that continues no record")
        if k > 0 and isinstance(lead, _Slice) and lead.kind in (MIDDLE, LAST):
            # 3: block k - 1 must be free of damage and end with a FIRST or MIDDLE slice of
            # record first_index(k); damage found in it is interior (block k follows it intact)
            prev = self._parse_block(k - 1)
            d = self._first_damage_in(prev)
            if d is not None:
                self._fail(d, f"block {k - 1}, before the last block")
            last = prev.items[-1] if prev.items else None
            owner = None
            if isinstance(last, _Slice) and last.kind in (FIRST, MIDDLE):
                if len(prev.items) == 1 and last.kind == MIDDLE:
                    owner = prev.first_index
                else:
                    starts = sum(1 for it in prev.items if it.kind in (FULL, FIRST))
                    owner = prev.first_index + starts - 1 + (1 if _leads_with_continuation(prev.items) else 0)
            if owner != blk.first_index:
                self._fail(_Dmg(BAD_SLICE, lead.offset, lead.end),
                           f"block {k} begins with a slice that continues no record of block {k - 1}")
        # 2 and 4: the first damage d in block k; the header of block k + 1 when block k parses
        # clean to its end and the file goes on
        d = self._first_damage_in(blk)
        if d is None and blk.end < size:
            d = self._block_header_damage(k + 1)
        position = len(items)
        if d is not None:
            if self.damage_is_interior(d.offset):
                self._fail(d, "interior damage at the end of the log")
            if d in items:
                position = items.index(d)
            else:   # INDEX_OVERFLOW found by _first_damage_in: the slice it names
                position = next((i for i, it in enumerate(items) if it.offset >= d.offset), len(items))
        # 5 and 6: E and the last index: the last record end before d, else from earlier blocks
        ends = self._record_ends_in(blk, position)
        j = k
        while not ends and j > 0:
            j -= 1
            prev = self._parse_block(j)
            d = self._first_damage_in(prev)
            if d is not None:
                self._fail(d, f"block {j}, on the way back from the tail")
            ends = self._record_ends_in(prev)
        end, last = ends[-1] if ends else (FILE_HEADER_SIZE, None)
        tail = Damage(TORN_TAIL, end) if end < size else None     # 7
        first = self.base_index if last is not None else None
        return OpenInfo(self.header, end, first, last, tail)

    # -- §11 lookup ----------------------------------------------------------------------------

    def _first_index_of(self, k: int) -> int:
        if k == 0:
            return self.base_index
        d = self._block_header_damage(k)
        if d is not None:
            self._fail(d, f"header of block {k}")
        return _u64(self._src.read(k * self.block_size + 24, 8))

    def _starts_in_block(self, b: int, index: int) -> bool:
        """Record `index` has its FULL or FIRST slice in block b, whose first_index is <= index."""
        if self._first_index_of(b) < index:
            return True
        return not _leads_with_continuation(self._parse_block(b).items)

    def lookup(self, index: int, keep_limit: Optional[int] = None) -> Record:
        """RSF-090: open from the tail, binary search over block headers for the last block
        whose first_index <= index, walk back over the blocks of the record, then parse."""
        info = self.open_info()
        if info.last_index is None or not self.base_index <= index <= info.last_index:
            raise LsfsError(INDEX_OUT_OF_RANGE, None,
                            f"index {index} is outside the file's records")
        lo, hi = 0, (info.end - 1) // self.block_size
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._first_index_of(mid) <= index:
                lo = mid
            else:
                hi = mid - 1
        b = lo
        while b > 0 and not self._starts_in_block(b, index):
            b -= 1
        for ev in self._events(b, keep_limit):
            if ev[0] == "record":
                if ev[1].index == index:
                    return ev[1]
                if ev[1].index > index:
                    break
            elif ev[0] == "damage":
                d = ev[1]
                if self.damage_is_interior(d.offset):
                    self._fail(d, f"damage on the way to record {index}")
                break
            else:
                break
        raise LsfsError(INDEX_OUT_OF_RANGE, None, f"record {index} is not where its block says")


# ---------------------------------------------------------------------------------------------
# §8 writer
# ---------------------------------------------------------------------------------------------

class RepeatPayload:
    """A payload of `length` copies of one byte, produced piecewise (never built whole)."""

    def __init__(self, byte: int, length: int):
        self.byte = byte
        self.length = length

    def __len__(self):
        return self.length

    def piece(self, a: int, b: int) -> bytes:
        return bytes((self.byte,)) * (b - a)


class _BytesPayload:
    def __init__(self, data):
        self.mv = memoryview(data).cast("B") if not isinstance(data, (bytes, bytearray)) \
            else memoryview(data)
        self.length = len(self.mv)

    def __len__(self):
        return self.length

    def piece(self, a: int, b: int):
        return self.mv[a:b]


class Writer:
    """Appends records in the canonical layout (RSF-060). One writer per file (RSF-065)."""

    _FLUSH_AT = 1 << 20

    def __init__(self):
        raise TypeError("use Writer.create()")

    @classmethod
    def create(cls, path: str, block_size: int = DEFAULT_BLOCK_SIZE,
               file_id: Optional[int] = None, base_index: int = 0) -> "Writer":
        # §12: a value the API does not accept is INVALID_ARGUMENT (BAD_BLOCK_SIZE is what a
        # reader reports for a file header's block_size_log2).
        if not is_valid_block_size(block_size):
            raise LsfsError(INVALID_ARGUMENT, None,
                            f"block size {block_size!r} is not a power of two from 512 to 65536")
        if file_id is None:
            file_id = secrets.randbits(64)                        # RSF-021
        if not (isinstance(file_id, int) and 0 <= file_id <= U64_MAX):
            raise LsfsError(INVALID_ARGUMENT, None, "file_id must be a u64")
        # RSF-022: a file whose base_index is 2^64 - 1 could hold no record (RSF-003)
        if not (isinstance(base_index, int) and 0 <= base_index <= MAX_RECORD_INDEX):
            raise LsfsError(INVALID_ARGUMENT, None,
                            f"base index {base_index} leaves no room for a record (at most 2^64 - 2)")
        import fcntl
        path = os.path.abspath(path)
        directory = os.path.dirname(path)
        tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(8)}.tmp")
        fd = -1
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)    # RSF-065
            except BlockingIOError:
                raise LsfsError(LOCKED, None, "another writer holds the file") from None
            # RSF-023: header to a temporary file, sync, rename, sync the directory
            _write_all(fd, build_file_header(block_size, file_id, base_index))
            os.fsync(fd)
            os.rename(tmp, path)
            _sync_dir(directory)
        except OSError as e:
            if fd >= 0:
                os.close(fd)
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
            raise LsfsError(IO_ERROR, None, f"{path}: {e.strerror or e}") from None
        except BaseException:
            if fd >= 0:
                os.close(fd)
            raise
        w = object.__new__(cls)
        w._fd = fd
        w._dir = directory
        w.path = path
        w.block_size = block_size
        w.file_id = file_id
        w.base_index = base_index
        w.next_index = base_index
        w._fid = _U64.pack(file_id)
        w._pos = FILE_HEADER_SIZE        # p: bytes written so far (the file's length)
        w._buf = bytearray()
        w._synced_once = False
        return w

    @property
    def size(self) -> int:
        return self._pos

    def _check_open(self):
        if self._fd < 0:
            raise LsfsError(CLOSED, None, "the writer is closed")

    def _emit(self, b):
        self._buf += b
        self._pos += len(b)
        if len(self._buf) >= self._FLUSH_AT:
            self._flush()

    def _flush(self):
        if self._buf:
            try:
                _write_all(self._fd, self._buf)
            except OSError as e:
                raise LsfsError(IO_ERROR, None, f"write: {e.strerror or e}") from None
            self._buf = bytearray()

    def append(self, type_code: int, payload) -> int:
        """Append one record; returns its index. RSF-004: refuses without writing anything."""
        self._check_open()
        if not (isinstance(type_code, int) and 0 <= type_code <= MAX_TYPE_CODE):
            raise LsfsError(INVALID_ARGUMENT, None, "type code must be a u64")
        if not isinstance(payload, RepeatPayload):
            payload = _BytesPayload(payload)
        n = len(payload)
        if n > MAX_PAYLOAD_LENGTH:
            raise LsfsError(RECORD_TOO_LARGE, None, f"payload of {n} bytes")
        index = self.next_index
        if index > MAX_RECORD_INDEX:
            raise LsfsError(INDEX_OVERFLOW, None, f"index {index}")
        bs = self.block_size
        record_header = _U64.pack(type_code) + _U32.pack(n)
        total = RECORD_HEADER_SIZE + n                     # D

        def piece(a: int, b: int) -> bytes:
            """Bytes [a, b) of the record data (record header then payload)."""
            if b <= RECORD_HEADER_SIZE:
                return record_header[a:b]
            if a >= RECORD_HEADER_SIZE:
                return bytes(payload.piece(a - RECORD_HEADER_SIZE, b - RECORD_HEADER_SIZE))
            return record_header[a:] + bytes(payload.piece(0, b - RECORD_HEADER_SIZE))

        def slice_(kind: int, a: int, b: int):
            self._emit(build_slice(self.file_id, self._pos, kind, piece(a, b)))

        def next_block():
            self._emit(build_block_header(self.file_id, self._pos // bs, index))

        r = (-self._pos) % bs                                # bytes left in the current block
        if r < MIN_RECORD_START:                             # §8 step 1
            self._emit(bytes(r))
            next_block()
            r = bs - BLOCK_HEADER_SIZE
        if total + SLICE_OVERHEAD <= r:                      # step 2
            slice_(FULL, 0, total)
        else:                                                # step 3
            done = r - SLICE_OVERHEAD
            slice_(FIRST, 0, done)
            middle = bs - BLOCK_HEADER_SIZE - SLICE_OVERHEAD
            while done < total:
                next_block()
                left = total - done
                if left > middle:
                    slice_(MIDDLE, done, done + middle)
                    done += middle
                else:
                    slice_(LAST, done, total)
                    done = total
        self.next_index = index + 1
        return index

    def sync(self):
        """RSF-064: everything appended so far is durable when this returns."""
        self._check_open()
        self._flush()
        try:
            if hasattr(os, "fdatasync"):
                os.fdatasync(self._fd)
            else:
                os.fsync(self._fd)
            if not self._synced_once:
                _sync_dir(self._dir)
                self._synced_once = True
        except OSError as e:
            raise LsfsError(IO_ERROR, None, f"sync: {e.strerror or e}") from None

    def close(self):
        if self._fd >= 0:
            try:
                self._flush()
            finally:
                os.close(self._fd)     # also releases the lock
                self._fd = -1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _write_all(fd: int, b) -> None:
    mv = memoryview(b)
    while mv:
        n = os.write(fd, mv)
        mv = mv[n:]


def _sync_dir(directory: str) -> None:
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)

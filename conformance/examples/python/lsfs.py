"""LSFS record stream files, format version 1: an independent reader and writer.

Written from spec/lsfs-format.md alone (the reference engine was not consulted), with the
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

Where the spec leaves room, the choices made here are listed in README.md next to this file.
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
    base = _u64(b, 24)
    if base > MAX_RECORD_INDEX + 1:  # can never fire: MAX_RECORD_INDEX + 1 is the largest u64
        raise LsfsError(INDEX_OVERFLOW, 24, "base_index")
    return FileHeader(log2, 1 << log2, _u64(b, 16), base)


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
# The forward walk (§5-§9): one parser for strict reads, salvage reads, open and lookup
# ---------------------------------------------------------------------------------------------

# Events produced by LsfsFile._walk:
#   ("record", Record)                a whole record whose slices are all intact and in sequence
#   ("start", index, offset)          a FULL or FIRST slice was accepted: record `index` starts here
#   ("block", k, first_index)         the header of block k >= 1 was accepted
#   ("end", index, end)               a LAST slice ended a record whose start this walk did not see
#   ("lost", start, end)              bytes of a record already known to be lost (salvage only)
#   ("damage", _Dmg)                  damage; the walk resumes by the RSF-072 rules afterwards
#   ("eof",)                          the file ends cleanly (right after a FULL or LAST slice)

_NORMAL, _LOST, _UNKNOWN = 0, 1, 2


class _Dmg:
    __slots__ = ("code", "offset", "end", "abandoned", "beyond_start", "eof")

    def __init__(self, code, offset, end, abandoned=None, beyond_start=None, eof=False):
        self.code = code                  # the §12 code of the check that failed
        self.offset = offset              # the start of the structure in which it was found
        self.end = end                    # where the walk resumes (range [offset, end) skipped)
        self.abandoned = abandoned        # start of a record in progress that this damage lost
        self.beyond_start = beyond_start  # that record's FIRST claimed more bytes than the file has
        self.eof = eof                    # the damage is the end of the file itself

    def __repr__(self):
        return f"_Dmg({self.code}, {self.offset}, end={self.end}, abandoned={self.abandoned})"


class _Asm:
    """A record in progress (between its FIRST and its LAST slice)."""
    __slots__ = ("state", "index", "start", "type", "length", "remaining", "hasher", "chunks",
                 "beyond")

    def __init__(self, state, index, start=None):
        self.state = state
        self.index = index
        self.start = start
        self.type = 0
        self.length = 0
        self.remaining = 0
        self.hasher = None
        self.chunks = None
        self.beyond = False


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

    def _block_header_intact(self, k: int) -> bool:
        hb = self._src.read(k * self.block_size, BLOCK_HEADER_SIZE)
        return len(hb) == BLOCK_HEADER_SIZE and self._block_header_problem(k, hb) is None

    def _slice_intact(self, q: int) -> bool:
        """§9: magic, header_check and slice_crc right for q; the slice lies within its block."""
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
        """The largest offset of an intact structure (§9), or -1. Computed from the end of the
        file backwards, so it only reads the region after the last intact structure."""
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
        """RSF-070: interior iff an intact structure lies at a larger offset than the damage."""
        return self._last_intact_offset() > offset

    # -- the walk ------------------------------------------------------------------------------

    def _walk(self, start_block: int = 0, keep_limit: Optional[int] = None) -> Iterator[tuple]:
        """Parse forward from the data start of `start_block`.

        From block 0 the walk knows everything (base_index, no record in progress). From a
        later block (§10 open, §11 lookup) it takes that block's first_index on trust and accepts
        a leading MIDDLE or LAST slice as the continuation of a record it did not see begin.
        After damage it resumes by RSF-072 and re-learns the index from the next block header.
        """
        src, size, bs = self._src, self.size, self.block_size
        fid = self._fid
        k = start_block
        need_header = k > 0
        adopt_state = _UNKNOWN        # how a leading continuation of an adopted block is treated
        synced = k == 0               # reached the current block by reading the blocks before it
        adopted = False               # current block's first_index was taken on trust
        next_idx = self.base_index if k == 0 else None
        cont: Optional[_Asm] = None
        q = FILE_HEADER_SIZE
        block_end = bs
        at_start = True               # q is the data start of its block
        pending = None                # start of padding / block header not yet followed by a slice

        def dmg(code, offset, end, eof=False):
            ab = bs_ = None
            if cont is not None and cont.state == _NORMAL:
                ab = cont.start
                if cont.beyond:
                    bs_ = cont.start
            return ("damage", _Dmg(code, offset, end, ab, bs_, eof))

        while True:
            if need_header:
                B = k * bs
                q, block_end, at_start = B, B + bs, True
                if B >= size:
                    if cont is None and pending is None:
                        yield ("eof",)
                    else:  # the file ends where a block header (for a record in progress) belongs
                        yield dmg(TORN_TAIL, B, size, eof=True)
                    return
                if pending is None:
                    pending = B
                hb = src.read(B, BLOCK_HEADER_SIZE)
                if len(hb) < BLOCK_HEADER_SIZE:
                    yield dmg(TORN_TAIL, B, size, eof=True)
                    return
                problem = self._block_header_problem(k, hb)
                fi = _u64(hb, 24)
                if problem is None and synced:
                    # RSF-032: the index this block must begin with
                    expected = cont.index if cont is not None else next_idx
                    if fi != expected:
                        problem = INDEX_OUT_OF_ORDER
                if problem is not None:
                    # RSF-072: any damage but a slice's crc/sequence -> next block boundary
                    yield dmg(problem, B, min(B + bs, size))
                    cont, synced, adopted, adopt_state, pending = None, False, False, _LOST, None
                    k += 1
                    continue
                if not synced:
                    next_idx, adopted, synced = fi, True, True
                    cont = None
                else:
                    adopted = False
                need_header = False
                yield ("block", k, fi)
                q = B + BLOCK_HEADER_SIZE
                continue

            if q >= block_end:
                k += 1
                need_header = True
                continue

            if cont is None and block_end - q < MIN_RECORD_START:
                # padding: no record can start here (§8 step 1)
                if q >= size:
                    if pending is None:
                        yield ("eof",)
                    else:
                        yield dmg(TORN_TAIL, q, size, eof=True)
                    return
                stop = min(block_end, size)
                pad = src.read(q, stop - q)
                if pad.count(0) != len(pad):
                    yield dmg(BAD_PADDING, q, stop)                      # RSF-062
                    cont, synced, adopted, adopt_state, pending = None, False, False, _LOST, None
                    k += 1
                    need_header = True
                    continue
                if block_end > size:   # the file ends inside the padding
                    yield dmg(TORN_TAIL, q, size, eof=True)
                    return
                if pending is None:
                    pending = q
                k += 1
                need_header = True
                continue

            # a slice at q (RSF-042, in the spec's order)
            if q >= size:
                if cont is None and pending is None:
                    yield ("eof",)
                else:
                    yield dmg(TORN_TAIL, q, size, eof=True)
                return
            h = src.read(q, SLICE_HEADER_SIZE)
            problem = None
            if len(h) < SLICE_HEADER_SIZE:
                # RSF-042: "otherwise TORN_TAIL or BAD_SLICE": TORN_TAIL once classified as tail
                yield dmg(BAD_SLICE, q, size, eof=True)
                return
            if h[0:2] != SLICE_MAGIC:
                problem = BAD_MAGIC
            else:
                c = crc32c(h[0:6], crc32c(fid + _U64.pack(q)))
                if c & 0xFFFF != _u16(h, 6):
                    problem = CHECKSUM_MISMATCH
                else:
                    kind = h[2]
                    dl = _u16(h, 4)
                    end = q + SLICE_OVERHEAD + dl
                    if not FULL <= kind <= LAST:
                        problem = BAD_SLICE
                    elif h[3] != 0:
                        problem = UNSUPPORTED_FEATURE
                    elif end > block_end:
                        problem = BAD_SLICE
            if problem is not None:
                yield dmg(problem, q, min(block_end, size))
                cont, synced, adopted, adopt_state, pending = None, False, False, _LOST, None
                k += 1
                need_header = True
                continue
            if end > size:
                # the header is right but the file ends inside the slice
                yield dmg(BAD_SLICE, q, size, eof=True)
                return
            data = src.read(q + SLICE_HEADER_SIZE, dl)
            crc_ok = crc32c(data, crc32c(h[6:8], c)) == _u32(src.read(end - 4, 4))
            pending = None
            first_in_block = at_start
            at_start = False
            lead_adopted = adopted and first_in_block
            adopted = False

            if kind == FULL or kind == FIRST:
                idx = next_idx          # RSF-073: every FULL/FIRST with a trusted header counts
                next_idx += 1
                can_continue = kind == FIRST and end == block_end
                if cont is not None or not crc_ok:
                    # crc first (RSF-042), then "no new record while one is in progress" (RSF-043)
                    yield dmg(CHECKSUM_MISMATCH if not crc_ok else BAD_SLICE, q, end)
                    cont = _Asm(_LOST, idx) if can_continue else None
                    q = end
                    continue
                problem = None
                if kind == FIRST and end != block_end:
                    problem = BAD_SLICE                                  # RSF-043
                elif dl < RECORD_HEADER_SIZE:
                    problem = BAD_SLICE                                  # RSF-050
                else:
                    typ = _u64(data, 0)
                    n = _u32(data, 8)
                    if n > MAX_PAYLOAD_LENGTH:
                        problem = RECORD_TOO_LARGE                       # RSF-051
                    elif kind == FULL and dl != RECORD_HEADER_SIZE + n:
                        problem = BAD_SLICE                              # RSF-050
                    elif kind == FIRST and dl >= RECORD_HEADER_SIZE + n:
                        problem = BAD_SLICE                              # RSF-050 / RSF-043
                    elif idx > MAX_RECORD_INDEX:
                        problem = INDEX_OVERFLOW                         # RSF-003
                if problem is not None:
                    yield dmg(problem, q, end)
                    cont = _Asm(_LOST, idx) if can_continue else None
                    q = end
                    continue
                yield ("start", idx, q)
                payload = data[RECORD_HEADER_SIZE:]
                if kind == FULL:
                    keep = keep_limit is None or n <= keep_limit
                    yield ("record", Record(idx, typ, n, hashlib.sha256(payload).hexdigest(),
                                            bytes(payload) if keep else None, q, end))
                else:
                    a = _Asm(_NORMAL, idx, q)
                    a.type, a.length = typ, n
                    a.remaining = RECORD_HEADER_SIZE + n - dl
                    # RSF-051 / RSF-005: a record that needs more bytes than the file holds after
                    # the slice can never complete; nothing is stored for it.
                    a.beyond = a.remaining > size - end
                    a.hasher = hashlib.sha256(payload)
                    if not a.beyond and (keep_limit is None or n <= keep_limit):
                        a.chunks = [bytes(payload)]
                    cont = a
                q = end
                continue

            # MIDDLE or LAST
            if cont is None:
                if lead_adopted:
                    # the block begins with the continuation of record first_index (RSF-032)
                    idx = next_idx
                    next_idx += 1
                    if adopt_state == _UNKNOWN and idx > MAX_RECORD_INDEX:
                        yield dmg(INDEX_OVERFLOW, q, end)
                        q = end
                        continue
                    cont = _Asm(adopt_state, idx)
                else:
                    # no record in progress, or not at a block's start (RSF-043)
                    yield dmg(CHECKSUM_MISMATCH if not crc_ok else BAD_SLICE, q, end)
                    q = end
                    continue
            if cont.state == _LOST:
                yield ("lost", q, end)
                if kind == LAST or end != block_end:
                    cont = None
                q = end
                continue
            if not crc_ok:
                yield dmg(CHECKSUM_MISMATCH, q, end)
                cont = _Asm(_LOST, cont.index) if kind == MIDDLE and end == block_end else None
                q = end
                continue
            problem = None
            if not first_in_block:
                problem = BAD_SLICE
            elif kind == MIDDLE and end != block_end:
                problem = BAD_SLICE
            elif kind == LAST and dl == 0:
                problem = BAD_SLICE
            elif cont.state == _NORMAL:
                if kind == MIDDLE and dl >= cont.remaining:
                    problem = BAD_SLICE      # the record would end here, or a LAST would be empty
                elif kind == LAST and dl != cont.remaining:
                    problem = BAD_SLICE      # RSF-050: a LAST slice ends the record exactly
            if problem is not None:
                yield dmg(problem, q, end)
                cont = _Asm(_LOST, cont.index) if kind == MIDDLE and end == block_end else None
                q = end
                continue
            if cont.state == _UNKNOWN:
                if kind == LAST:
                    yield ("end", cont.index, end)
                    cont = None
                q = end
                continue
            cont.hasher.update(data)
            if cont.chunks is not None:
                cont.chunks.append(bytes(data))
            cont.remaining -= dl
            if kind == LAST:
                a = cont
                cont = None
                yield ("record", Record(a.index, a.type, a.length, a.hasher.hexdigest(),
                                        b"".join(a.chunks) if a.chunks is not None else None,
                                        a.start, end))
            q = end

    # -- §9 reads ------------------------------------------------------------------------------

    def scan(self, salvage: bool = False, keep_limit: Optional[int] = None) -> ScanResult:
        return self._salvage(keep_limit) if salvage else self._strict(keep_limit)

    def _strict(self, keep_limit) -> ScanResult:
        """RSF-071: the records before the first damage; interior damage is the error, damage
        at the tail (or a file that ends inside a structure) is TORN_TAIL where the last whole
        record ends."""
        res = ScanResult()
        last_end = FILE_HEADER_SIZE
        for ev in self._walk(0, keep_limit):
            kind = ev[0]
            if kind == "record":
                res.records.append(ev[1])
                last_end = ev[1].end
            elif kind == "damage":
                d = ev[1]
                if self.damage_is_interior(d.offset):
                    res.error = self._interior_damage(d)
                else:
                    res.tail = Damage(TORN_TAIL, last_end)
                break
            elif kind == "eof":
                break
        return res

    def _interior_damage(self, d: _Dmg) -> Damage:
        # A record whose FIRST slice claims more bytes than the file holds after it is reported
        # as RECORD_TOO_LARGE at that slice (RSF-051), unless it is merely cut off by the end of
        # the file (then the damage is at the tail and reads as TORN_TAIL).
        if d.beyond_start is not None:
            return Damage(RECORD_TOO_LARGE, d.beyond_start)
        return Damage(d.code, d.offset)

    def _salvage(self, keep_limit) -> ScanResult:
        """RSF-072/073: every record whose slices are all intact; the other byte ranges as gaps.

        A gap opens at the first lost byte after the last returned record and ends at the end of
        the last lost range before the next returned record; valid block headers and padding
        inside it belong to it; its code is the one of the damage that opened it. The scan ends
        at the first damage at the tail: everything from T = max(64, end of the last record,
        end of the last gap) is the torn tail."""
        res = ScanResult()
        last_end = FILE_HEADER_SIZE
        gap = None   # [offset, end, code]

        def extend(start, end, code):
            nonlocal gap
            if gap is None:
                gap = [start, end, code]
            elif end > gap[1]:
                gap[1] = end

        def close():
            nonlocal gap
            if gap is not None:
                res.gaps.append(Gap(gap[2], gap[0], gap[1] - gap[0]))
                gap = None

        for ev in self._walk(0, keep_limit):
            kind = ev[0]
            if kind == "record":
                close()
                res.records.append(ev[1])
                last_end = ev[1].end
            elif kind == "lost":
                extend(ev[1], ev[2], BAD_SLICE)
            elif kind == "damage":
                d = ev[1]
                if not self.damage_is_interior(d.offset):
                    t = max(last_end, gap[1] if gap else 0,
                            res.gaps[-1].offset + res.gaps[-1].length if res.gaps else 0)
                    close()
                    if t < self.size:
                        res.tail = Damage(TORN_TAIL, t)
                    break
                dd = self._interior_damage(d)
                start = d.abandoned if d.abandoned is not None else d.offset
                extend(start, max(d.end, d.offset + 1), dd.code)
            elif kind == "eof":
                break
        close()
        return res

    # -- §10 open ------------------------------------------------------------------------------

    def _probe_block(self, b: int) -> str:
        """Parse block b alone from its data start (§10 steps 2 and 4): "end" if a FULL or LAST
        slice ends in it before any damage, "damage" if damage comes first, else "none"."""
        for ev in self._walk(b):
            kind = ev[0]
            if kind in ("record", "end"):
                return "end"
            if kind == "damage":
                return "damage"
            if kind == "eof" or (kind == "block" and ev[1] > b):
                return "none"
        return "none"

    def open_info(self) -> OpenInfo:
        """§10. Raises LsfsError for interior damage found near the tail."""
        bs = self.block_size
        k = (self.size - 1) // bs                                # K, the last block
        while k > 0 and not self._block_header_intact(k):       # step 2
            k -= 1
        j = k
        if k > 0 and self._probe_block(k) != "end":              # step 4: walk back
            j = k - 1
            while j > 0 and self._probe_block(j) == "none":
                j -= 1
        # Steps 3 to 6 from block j forward: every block from j on is fully checked; the first
        # damage is classified by RSF-070.
        end = FILE_HEADER_SIZE
        last = None
        tail = None
        for ev in self._walk(j):
            kind = ev[0]
            if kind == "record":
                end, last = ev[1].end, ev[1].index
            elif kind == "end":
                end, last = ev[2], ev[1]
            elif kind == "damage":
                d = ev[1]
                if self.damage_is_interior(d.offset):
                    dd = self._interior_damage(d)
                    raise LsfsError(dd.code, dd.offset, "interior damage at the end of the log")
                tail = Damage(TORN_TAIL, end)
                break
            elif kind == "eof":
                break
        first = self.base_index if last is not None else None
        return OpenInfo(self.header, end, first, last, tail)

    # -- §11 lookup ----------------------------------------------------------------------------

    def _first_index_of(self, k: int) -> int:
        if k == 0:
            return self.base_index
        B = k * self.block_size
        hb = self._src.read(B, BLOCK_HEADER_SIZE)
        if len(hb) < BLOCK_HEADER_SIZE:
            raise LsfsError(TORN_TAIL, B, "block header cut off")
        problem = self._block_header_problem(k, hb)
        if problem is not None:
            raise LsfsError(problem, B, "block header")
        return _u64(hb, 24)

    def _starts_in_block(self, b: int, index: int) -> bool:
        for ev in self._walk(b):
            kind = ev[0]
            if kind == "start":
                if ev[1] == index:
                    return True
                if ev[1] > index:
                    return False
            elif kind == "end" and ev[1] == index:
                return False     # the block begins with the end of the record: it began earlier
            elif kind == "block" and ev[1] > b:
                return False
            elif kind == "damage":
                d = ev[1]
                raise LsfsError(d.code, d.offset, "damage on the way to the record")
            elif kind == "eof":
                return False
        return False

    def lookup(self, index: int, keep_limit: Optional[int] = None) -> Record:
        """RSF-090: binary search over block headers, then parse; O(log n) block reads."""
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
        while not self._starts_in_block(b, index):
            # record `index` began in an earlier block: walk back over its blocks
            if b == 0 or self._first_index_of(b) != index:
                raise LsfsError(INDEX_OUT_OF_ORDER, b * self.block_size if b else None,
                                f"record {index} is not where the block headers place it")
            b -= 1
        for ev in self._walk(b, keep_limit):
            kind = ev[0]
            if kind == "record" and ev[1].index == index:
                return ev[1]
            if kind == "damage":
                d = ev[1]
                raise LsfsError(d.code, d.offset, "damage in the record")
            if kind == "eof":
                break
        raise LsfsError(INDEX_OUT_OF_RANGE, None, f"record {index} not found")


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
        if not is_valid_block_size(block_size):
            raise LsfsError(BAD_BLOCK_SIZE, None, f"block size {block_size!r}")
        if file_id is None:
            file_id = secrets.randbits(64)                        # RSF-021
        if not (isinstance(file_id, int) and 0 <= file_id <= U64_MAX):
            raise LsfsError(INVALID_ARGUMENT, None, "file_id must be a u64")
        if not (isinstance(base_index, int) and 0 <= base_index <= MAX_RECORD_INDEX + 1):
            raise LsfsError(INDEX_OVERFLOW, None, "base_index must be at most 2^64-1")
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

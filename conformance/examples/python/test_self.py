"""Self-test of the Python example implementation (stdlib unittest).

    python3 -m unittest conformance/examples/python/test_self.py
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import lsfs  # noqa: E402
from lsfs import (  # noqa: E402
    BAD_BLOCK_SIZE, BAD_MAGIC, BAD_PADDING, BAD_SLICE, CHECKSUM_MISMATCH, FOREIGN_BLOCK,
    INDEX_OUT_OF_ORDER, INDEX_OUT_OF_RANGE, INDEX_OVERFLOW, INVALID_ARGUMENT, MISPLACED_BLOCK,
    RECORD_TOO_LARGE,
    TORN_TAIL, TRUNCATED_HEADER, UNSUPPORTED_FEATURE, UNSUPPORTED_VERSION, LsfsError,
)

FID = 0x0123456789ABCDEF
U64_MAX = (1 << 64) - 1


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

class TmpDirCase(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="lsfs-self-")
        self.dir = self._tmp.name
        self._n = 0

    def tearDown(self):
        self._tmp.cleanup()

    def path(self, name=None) -> str:
        self._n += 1
        return os.path.join(self.dir, name or f"f{self._n}.lsfs")

    def write(self, records, block_size=512, base=0, file_id=FID, sync_every=0, path=None):
        """records: list of (type, payload bytes). Returns (path, bytes of the file)."""
        p = path or self.path()
        with lsfs.Writer.create(p, block_size, file_id, base) as w:
            for i, (t, data) in enumerate(records):
                w.append(t, data)
                if sync_every and i % sync_every == 0:
                    w.sync()
            size = w.size
        with open(p, "rb") as f:
            b = f.read()
        self.assertEqual(len(b), size)
        return p, b

    def put(self, b: bytes) -> str:
        p = self.path()
        with open(p, "wb") as f:
            f.write(b)
        return p

    def scan(self, p, salvage=False):
        with lsfs.LsfsFile.open(p) as f:
            return f.scan(salvage=salvage)

    def info(self, p):
        with lsfs.LsfsFile.open(p) as f:
            return f.open_info()

    def lookup(self, p, i):
        with lsfs.LsfsFile.open(p) as f:
            return f.lookup(i)

    def assertRecords(self, got, expected, base=0, start=0):
        """expected: list of (type, payload); got: Records with indexes base+start..."""
        self.assertEqual(len(got), len(expected))
        for n, (r, (t, data)) in enumerate(zip(got, expected)):
            self.assertEqual(r.index, base + start + n)
            self.assertEqual(r.type, t)
            self.assertEqual(r.length, len(data))
            self.assertEqual(r.data, data)
            self.assertEqual(r.sha256, hashlib.sha256(data).hexdigest())


def slice_spans(b: bytes, block_size: int):
    """Walk a well-formed file and return [(offset, end, kind)] of its slices (test helper)."""
    spans = []
    q = 64
    size = len(b)
    in_record = False
    while q < size:
        block_end = (q // block_size + 1) * block_size
        if q % block_size == 0:
            q += 32
            continue
        if not in_record and block_end - q < 24:
            q = block_end
            continue
        kind = b[q + 2]
        dl = struct.unpack_from("<H", b, q + 4)[0]
        end = q + 12 + dl
        spans.append((q, end, kind))
        in_record = kind in (lsfs.FIRST, lsfs.MIDDLE)
        q = end
    return spans


def record_ends(b: bytes, block_size: int):
    return [end for (_, end, kind) in slice_spans(b, block_size) if kind in (lsfs.FULL, lsfs.LAST)]


def record_starts(b: bytes, block_size: int):
    return [q for (q, _, kind) in slice_spans(b, block_size) if kind in (lsfs.FULL, lsfs.FIRST)]


def sample_records(block_size: int, rng: random.Random):
    """Payload lengths chosen to hit the layout's edge cases for this block size."""
    area0 = block_size - 64
    area = block_size - 32
    lengths = [0, 1, 3, area0 - 12 - 12 - 91, 5, area - 24, area - 25, area - 36,
               2 * block_size + 7, 0, 17, block_size - 44 - 12, block_size - 44 - 11,
               3 * (block_size - 44), 1, 2]
    types = [0, U64_MAX, 1, 2 ** 63, 42]
    out = []
    for n, ln in enumerate(lengths):
        ln = max(0, ln)
        out.append((types[n % len(types)], bytes(rng.getrandbits(8) for _ in range(min(ln, 64)))
                    * (ln // 64) + bytes(rng.getrandbits(8) for _ in range(ln % 64))))
    return out


# ---------------------------------------------------------------------------------------------
# CRC-32C
# ---------------------------------------------------------------------------------------------

class CrcTests(unittest.TestCase):
    def test_check_value(self):
        self.assertEqual(lsfs.crc32c(b"123456789"), 0xE3069283)
        self.assertEqual(lsfs.crc32c(b""), 0)

    def test_rfc3720_vectors(self):
        # RFC 3720 appendix B.4 (iSCSI), values as integers
        self.assertEqual(lsfs.crc32c(bytes(32)), 0x8A9136AA)
        self.assertEqual(lsfs.crc32c(b"\xff" * 32), 0x62A8AB43)
        self.assertEqual(lsfs.crc32c(bytes(range(32))), 0x46DD794E)
        self.assertEqual(lsfs.crc32c(bytes(range(31, -1, -1))), 0x113FDB5C)

    def test_continuation_and_fast_path(self):
        rng = random.Random(1)
        data = bytes(rng.getrandbits(8) for _ in range(1001))
        whole = lsfs._crc32c_bytewise(data)
        self.assertEqual(lsfs.crc32c(data), whole)
        for cut in (0, 1, 2, 31, 32, 33, 500, 1001):
            self.assertEqual(lsfs.crc32c(data[cut:], lsfs.crc32c(data[:cut])), whole)


# ---------------------------------------------------------------------------------------------
# writer: canonical bytes
# ---------------------------------------------------------------------------------------------

def _hand_slice(fid, off, kind, data):
    ctx = struct.pack("<QQ", fid, off)
    h6 = b"SL" + bytes([kind, 0]) + struct.pack("<H", len(data))
    h8 = h6 + struct.pack("<H", lsfs.crc32c(ctx + h6) & 0xFFFF)
    return h8 + data + struct.pack("<I", lsfs.crc32c(ctx + h8 + data))


def _hand_block_header(fid, k, first):
    body = struct.pack("<QQQ", fid, k, first)
    return b"LSBK" + struct.pack("<I", lsfs.crc32c(body)) + body


def _hand_file_header(log2, fid, base):
    h = b"\x89LSF\r\n\x1a\n" + struct.pack("<HBBI", 1, log2, 0, 0) + struct.pack("<QQ", fid, base)
    h += bytes(28)
    return h + struct.pack("<I", lsfs.crc32c(h))


class WriterLayoutTests(TmpDirCase):
    def test_hand_built_file(self):
        """Bytes assembled by hand from the spec's tables equal the writer's bytes."""
        fid, base = 0x1122334455667788, 1000
        big = bytes(range(256)) * 3                      # 768 bytes: FIRST in block 0, LAST in 1
        small = b"hi"
        # the LAST slice of `big` ends at 544 + 12 + (780 - 410) = 926; a FULL slice of
        # 12 + 12 + 60 bytes then ends at 1010, leaving 14 bytes of padding in block 1
        filler = b"\x07" * 60
        p, b = self.write([(7, small), (8, big), (9, filler), (10, b"z")], 512, base, fid)
        exp = _hand_file_header(9, fid, base)
        exp += _hand_slice(fid, 64, 1, struct.pack("<QI", 7, 2) + small)             # ends 90
        rec = struct.pack("<QI", 8, len(big)) + big
        first_len = 512 - 90 - 12
        exp += _hand_slice(fid, 90, 2, rec[:first_len])                                # ends 512
        exp += _hand_block_header(fid, 1, base + 1)
        exp += _hand_slice(fid, 544, 4, rec[first_len:])
        q = len(exp)
        exp += _hand_slice(fid, q, 1, struct.pack("<QI", 9, len(filler)) + filler)
        r = 1024 - len(exp)
        self.assertTrue(0 < r < 24, r)
        exp += bytes(r)
        exp += _hand_block_header(fid, 2, base + 3)
        exp += _hand_slice(fid, 1024 + 32, 1, struct.pack("<QI", 10, 1) + b"z")
        self.assertEqual(b, exp)

    def test_size_model(self):
        """An independent model of §8 predicts every file's size and record ends."""
        rng = random.Random(7)
        for bs in (512, 1024, 4096):
            lengths = [rng.choice([0, 1, 5, 100, bs - 80, bs - 44, bs, 3 * bs, rng.randrange(2000)])
                       for _ in range(40)]
            p, b = self.write([(1, bytes(n)) for n in lengths], bs)
            pos, ends = 64, []
            for n in lengths:
                r = (-pos) % bs
                if r < 24:
                    pos += r + 32
                    r = bs - 32
                d = 12 + n
                if d + 12 <= r:
                    pos += d + 12
                else:
                    left = d - (r - 12)
                    pos += r
                    while left > 0:
                        take = bs - 44 if left > bs - 44 else left
                        pos += 32 + 12 + take
                        left -= take
                ends.append(pos)
            self.assertEqual(len(b), pos)
            self.assertEqual(record_ends(b, bs), ends)

    def test_syncs_do_not_change_bytes(self):
        recs = sample_records(512, random.Random(3))
        _, b1 = self.write(recs, 512)
        _, b2 = self.write(recs, 512, sync_every=1)
        self.assertEqual(b1, b2)

    def test_refusals(self):
        p = self.path()
        with lsfs.Writer.create(p, 512, FID, 0) as w:
            w.append(1, b"a")
            before = w.size
            with self.assertRaises(LsfsError) as cm:
                w.append(1, lsfs.RepeatPayload(0, lsfs.MAX_PAYLOAD_LENGTH + 1))
            self.assertEqual(cm.exception.code, RECORD_TOO_LARGE)
            self.assertEqual(w.size, before)
            self.assertEqual(w.append(2, b"b"), 1)
        with lsfs.Writer.create(self.path(), 512, FID, lsfs.MAX_RECORD_INDEX) as w:
            self.assertEqual(w.append(1, b""), lsfs.MAX_RECORD_INDEX)
            size = w.size
            with self.assertRaises(LsfsError) as cm:
                w.append(1, b"")
            self.assertEqual(cm.exception.code, INDEX_OVERFLOW)
            self.assertEqual(w.size, size)
        # RSF-022: a base index of 2^64 - 1 leaves no room for a record: refused at creation
        p = self.path()
        with self.assertRaises(LsfsError) as cm:
            lsfs.Writer.create(p, 512, FID, U64_MAX)
        self.assertEqual(cm.exception.code, INVALID_ARGUMENT)
        self.assertFalse(os.path.exists(p))
        # §12: a block size the API does not accept is INVALID_ARGUMENT (BAD_BLOCK_SIZE is the
        # reader's code for a file header's block_size_log2)
        for bad in (0, 256, 1000, 131072, 1 << 20):
            with self.assertRaises(LsfsError) as cm:
                lsfs.Writer.create(self.path(), bad, FID, 0)
            self.assertEqual(cm.exception.code, INVALID_ARGUMENT)

    def test_no_temp_files_left(self):
        self.write([(1, b"x")])
        self.assertEqual([n for n in os.listdir(self.dir) if n.endswith(".tmp")], [])

    def test_random_file_id(self):
        p1, p2 = self.path(), self.path()
        lsfs.Writer.create(p1, 512).close()
        lsfs.Writer.create(p2, 512).close()
        self.assertNotEqual(self.info(p1).header.file_id, self.info(p2).header.file_id)


# ---------------------------------------------------------------------------------------------
# reading intact files
# ---------------------------------------------------------------------------------------------

class RoundTripTests(TmpDirCase):
    def test_every_block_size(self):
        rng = random.Random(11)
        for log2 in range(9, 17):
            bs = 1 << log2
            for base in (0, 7, 2 ** 63):
                with self.subTest(block_size=bs, base=base):
                    recs = sample_records(bs, rng)
                    p, b = self.write(recs, bs, base)
                    res = self.scan(p)
                    self.assertIsNone(res.error)
                    self.assertIsNone(res.tail)
                    self.assertRecords(res.records, recs, base)
                    sal = self.scan(p, salvage=True)
                    self.assertEqual(sal.gaps, [])
                    self.assertIsNone(sal.tail)
                    self.assertRecords(sal.records, recs, base)
                    info = self.info(p)
                    self.assertEqual((info.first_index, info.last_index, info.tail, info.end),
                                     (base, base + len(recs) - 1, None, len(b)))
                    self.assertEqual(info.header.block_size, bs)
                    for i in (0, 1, len(recs) // 2, len(recs) - 1):
                        self.assertRecords([self.lookup(p, base + i)], [recs[i]], base, i)
                    for bad in (base - 1, base + len(recs)):
                        if bad < 0:
                            continue
                        with self.assertRaises(LsfsError) as cm:
                            self.lookup(p, bad)
                        self.assertEqual(cm.exception.code, INDEX_OUT_OF_RANGE)

    def test_lookup_every_index(self):
        recs = [(n, bytes([n % 256]) * (n * 37 % 1500)) for n in range(60)]
        p, _ = self.write(recs, 512, 5)
        for i in range(60):
            self.assertRecords([self.lookup(p, 5 + i)], [recs[i]], 5, i)

    def test_empty_file(self):
        p, b = self.write([], 4096, 9)
        self.assertEqual(len(b), 64)
        res = self.scan(p)
        self.assertEqual((res.records, res.tail, res.error), ([], None, None))
        info = self.info(p)
        self.assertEqual((info.first_index, info.last_index, info.tail, info.end),
                         (None, None, None, 64))
        with self.assertRaises(LsfsError) as cm:
            self.lookup(p, 9)
        self.assertEqual(cm.exception.code, INDEX_OUT_OF_RANGE)

    def test_large_record_repeat(self):
        p = self.path()
        with lsfs.Writer.create(p, 4096, FID, 0) as w:
            w.append(2, lsfs.RepeatPayload(0xAB, 300_000))
            w.append(3, b"tail")
        res = self.scan(p)
        self.assertEqual(res.records[0].sha256, hashlib.sha256(b"\xab" * 300_000).hexdigest())
        self.assertEqual(res.records[1].data, b"tail")

    def test_max_index_and_type(self):
        p, _ = self.write([(U64_MAX, b"x")], 512, lsfs.MAX_RECORD_INDEX)
        res = self.scan(p)
        self.assertEqual((res.records[0].index, res.records[0].type),
                         (lsfs.MAX_RECORD_INDEX, U64_MAX))


# ---------------------------------------------------------------------------------------------
# damage
# ---------------------------------------------------------------------------------------------

def flip(b: bytes, offset: int, bit: int = 0) -> bytes:
    a = bytearray(b)
    a[offset] ^= 1 << bit
    return bytes(a)


def patch(b: bytes, offset: int, new: bytes) -> bytes:
    return b[:offset] + new + b[offset + len(new):]


class FileHeaderTests(TmpDirCase):
    def test_header_checks_in_order(self):
        _, good = self.write([(1, b"abc")], 512)

        def with_crc(h):
            return h[:60] + struct.pack("<I", lsfs.crc32c(h[:60])) + good[64:]

        cases = [
            (good[:63], TRUNCATED_HEADER, 0),
            (b"", TRUNCATED_HEADER, 0),
            (flip(good, 3), BAD_MAGIC, 0),
            (patch(good, 8, b"\x02\x00"), UNSUPPORTED_VERSION, 8),
            (flip(good, 20), CHECKSUM_MISMATCH, 60),
            (flip(good, 61), CHECKSUM_MISMATCH, 60),
            (with_crc(patch(good, 10, b"\x08")), BAD_BLOCK_SIZE, 10),
            (with_crc(patch(good, 10, b"\x11")), BAD_BLOCK_SIZE, 10),
            (with_crc(patch(good, 11, b"\x01")), UNSUPPORTED_FEATURE, 11),
            (with_crc(patch(good, 12, b"\x00\x01")), UNSUPPORTED_FEATURE, 12),
            (with_crc(patch(good, 59, b"\x01")), UNSUPPORTED_FEATURE, 32),
            # version is checked before the checksum, magic before the version
            (flip(patch(good, 8, b"\x02\x00"), 20), UNSUPPORTED_VERSION, 8),
            (patch(flip(good, 0), 8, b"\x02\x00"), BAD_MAGIC, 0),
        ]
        for n, (b, code, off) in enumerate(cases):
            with self.subTest(n=n, code=code):
                p = self.put(b)
                with self.assertRaises(LsfsError) as cm:
                    lsfs.LsfsFile.open(p)
                self.assertEqual((cm.exception.code, cm.exception.offset), (code, off))


class DamageTests(TmpDirCase):
    def setUp(self):
        super().setUp()
        rng = random.Random(5)
        self.bs = 512
        self.recs = [(n + 1, bytes(rng.getrandbits(8) for _ in range(ln))) for n, ln in
                     enumerate([10, 300, 1200, 0, 50, 440, 7, 900, 30, 30, 30, 466, 5])]
        self.base = 100
        self.p, self.b = self.write(self.recs, self.bs, self.base)
        self.spans = slice_spans(self.b, self.bs)
        self.ends = record_ends(self.b, self.bs)
        self.starts = record_starts(self.b, self.bs)

    def test_every_byte_flip_is_detected(self):
        b, size = self.b, len(self.b)
        last_slice = self.spans[-1][0]
        for off in range(64, size):
            damaged = flip(b, off, off % 8)
            p = self.put(damaged)
            res = self.scan(p)
            n = len(res.records)
            self.assertRecords(res.records, self.recs[:n], self.base)
            # the record holding the damaged byte is never returned
            self.assertTrue(n == 0 or self.ends[n - 1] <= off or off < 64, (off, n))
            if off < last_slice:
                self.assertIsNotNone(res.error, off)
                self.assertIsNone(res.tail)
                self.assertLessEqual(res.error.offset, off)
            else:
                self.assertIsNone(res.error, off)
                self.assertEqual(res.tail.code, TORN_TAIL)
                self.assertEqual(res.tail.offset, self.ends[-2])
            sal = self.scan(p, salvage=True)
            self.assertIsNone(sal.error)
            for r in sal.records:
                t, data = self.recs[r.index - self.base]
                self.assertEqual((r.type, r.data), (t, data))
            covered = any(g.offset <= off < g.offset + g.length for g in sal.gaps)
            self.assertTrue(covered or (sal.tail and sal.tail.offset <= off), off)
            os.unlink(p)

    def test_flip_in_slice_data_loses_one_record(self):
        for (q, end, kind) in self.spans[:-1]:
            if kind != lsfs.FULL or end - q < 20:
                continue
            p = self.put(flip(self.b, q + 14))
            res = self.scan(p)
            self.assertEqual((res.error.code, res.error.offset), (CHECKSUM_MISMATCH, q))
            sal = self.scan(p, salvage=True)
            self.assertEqual([(g.code, g.offset, g.length) for g in sal.gaps],
                             [(CHECKSUM_MISMATCH, q, end - q)])
            lost = self.starts.index(q)
            self.assertEqual([r.index - self.base for r in sal.records],
                             [i for i in range(len(self.recs)) if i != lost])
            self.assertIsNone(sal.tail)

    def test_flip_in_slice_header(self):
        q, end, kind = self.spans[0]
        for off, code in ((q, BAD_MAGIC), (q + 2, CHECKSUM_MISMATCH), (q + 6, CHECKSUM_MISMATCH)):
            p = self.put(flip(self.b, off))
            res = self.scan(p)
            self.assertEqual((res.error.code, res.error.offset), (code, q))
            sal = self.scan(p, salvage=True)
            self.assertEqual((sal.gaps[0].code, sal.gaps[0].offset), (code, q))
            # resume at the next block boundary; the record cut by it and its later slices
            # belong to the gap, which ends where the next recovered record starts
            g = sal.gaps[0]
            self.assertEqual(g.offset + g.length, min(r.offset for r in sal.records))
            self.assertEqual([r.index for r in sal.records],
                             [self.base + i for i, s in enumerate(self.starts)
                              if s >= g.offset + g.length])

    def _block_starting_with_last(self):
        for (q, end, kind) in self.spans:
            if kind == lsfs.LAST and (q - 32) % self.bs == 0 and q // self.bs >= 2:
                return q // self.bs
        self.fail("no suitable block")

    def test_damaged_block_header_and_index_after_resync(self):
        """RSF-073: after a damaged block, a block that begins with a LAST slice numbers its
        first new record first_index + 1."""
        k = self._block_starting_with_last()
        B = (k - 1) * self.bs
        p = self.put(flip(self.b, B + 10))
        res = self.scan(p)
        self.assertEqual((res.error.code, res.error.offset), (CHECKSUM_MISMATCH, B))
        sal = self.scan(p, salvage=True)
        for r in sal.records:
            self.assertEqual((r.type, r.data), self.recs[r.index - self.base])
        # everything after block k's LAST slice is recovered
        after = [i for i, s in enumerate(self.starts) if s > k * self.bs]
        got = {r.index - self.base for r in sal.records}
        self.assertTrue(set(after) <= got, (after, got))
        self.assertEqual(len(sal.gaps), 1)
        g = sal.gaps[0]
        self.assertEqual(g.code, CHECKSUM_MISMATCH)
        self.assertLessEqual(g.offset, B)

    def _rebuild_block_header(self, k, fid=FID, number=None, first=None):
        B = k * self.bs
        old_first = struct.unpack_from("<Q", self.b, B + 24)[0]
        hb = _hand_block_header(fid, k if number is None else number,
                                old_first if first is None else first)
        return patch(self.b, B, hb)

    def test_block_header_identity_checks(self):
        k = 2
        B = k * self.bs
        for b, code in ((self._rebuild_block_header(k, fid=FID + 1), FOREIGN_BLOCK),
                        (self._rebuild_block_header(k, number=3), MISPLACED_BLOCK),
                        (self._rebuild_block_header(k, first=self.base + 99), INDEX_OUT_OF_ORDER)):
            with self.subTest(code=code):
                p = self.put(b)
                res = self.scan(p)
                self.assertEqual((res.error.code, res.error.offset), (code, B))
                sal = self.scan(p, salvage=True)
                self.assertEqual(sal.gaps[0].code, code)
                for r in sal.records:
                    self.assertEqual((r.type, r.data), self.recs[r.index - self.base])

    def test_bad_padding(self):
        # 64 + 12 + 12 + 414 = 502: ten bytes of padding before block 1
        recs = [(1, b"p" * 414), (2, b"q"), (3, b"r" * 600), (4, b"s")]
        p, b = self.write(recs, 512)
        self.assertEqual(b[502:512], bytes(10))
        for bad_at in (502, 511):
            p = self.put(patch(b, bad_at, b"\x01"))
            res = self.scan(p)
            self.assertEqual((res.error.code, res.error.offset), (BAD_PADDING, 502))
            self.assertRecords(res.records, recs[:1])
            sal = self.scan(p, salvage=True)
            self.assertEqual([(g.code, g.offset, g.length) for g in sal.gaps],
                             [(BAD_PADDING, 502, 10)])
            self.assertRecords(sal.records, recs)
        # a file that ends inside the padding, or right after it, is torn at 502
        for cut in (503, 512, 520, 544):
            res = self.scan(self.put(b[:cut]))
            self.assertEqual((res.error, res.tail.offset), (None, 502), cut)

    def _resign_slice(self, b, q, kind=None, reserved=None, data=None):
        """Rewrite the slice at q with new header fields and valid checksums."""
        dl = struct.unpack_from("<H", b, q + 4)[0]
        old = b[q + 8:q + 8 + dl]
        data = old if data is None else data
        h6 = b"SL" + bytes([b[q + 2] if kind is None else kind,
                            0 if reserved is None else reserved]) + struct.pack("<H", len(data))
        ctx = struct.pack("<QQ", FID, q)
        h8 = h6 + struct.pack("<H", lsfs.crc32c(ctx + h6) & 0xFFFF)
        return b[:q] + h8 + data + struct.pack("<I", lsfs.crc32c(ctx + h8 + data)) + \
            b[q + 12 + len(data):]

    def test_slice_field_checks(self):
        q, end, kind = self.spans[1]      # not the last slice: interior
        for kw, code in (({"kind": 0}, BAD_SLICE), ({"kind": 5}, BAD_SLICE),
                         ({"reserved": 1}, UNSUPPORTED_FEATURE),
                         ({"kind": lsfs.MIDDLE if kind != lsfs.MIDDLE else lsfs.FULL}, BAD_SLICE)):
            with self.subTest(**kw):
                p = self.put(self._resign_slice(self.b, q, **kw))
                res = self.scan(p)
                self.assertEqual((res.error.code, res.error.offset), (code, q))

    def test_record_too_large(self):
        q, end, kind = self.spans[0]
        self.assertEqual(kind, lsfs.FULL)
        data = self.b[q + 8:end - 4]
        bad = data[:8] + struct.pack("<I", lsfs.MAX_PAYLOAD_LENGTH + 1) + data[12:]
        p = self.put(self._resign_slice(self.b, q, data=bad))
        res = self.scan(p)
        self.assertEqual((res.error.code, res.error.offset), (RECORD_TOO_LARGE, q))
        # a FULL slice whose payload_length disagrees with its data_length
        bad = data[:8] + struct.pack("<I", len(data) - 11) + data[12:]
        p = self.put(self._resign_slice(self.b, q, data=bad))
        res = self.scan(p)
        self.assertEqual((res.error.code, res.error.offset), (BAD_SLICE, q))
        sal = self.scan(p, salvage=True)
        self.assertEqual([(g.code, g.offset, g.length) for g in sal.gaps],
                         [(BAD_SLICE, q, end - q)])
        self.assertEqual(len(sal.records), len(self.recs) - 1)

    def test_first_claims_beyond_file(self):
        """A FIRST slice claiming more than the file holds is not an error by itself (RSF-051):
        its slices are checked as they come, and the record ends in damage (here its LAST slice
        does not end it: BAD_SLICE there) or in the torn tail when the file simply ends."""
        firsts = [s for s in self.spans if s[2] == lsfs.FIRST]
        q, end, _ = firsts[0]
        last_q = next(s[0] for s in self.spans if s[0] > q and s[2] == lsfs.LAST)
        data = self.b[q + 8:end - 4]
        bad = data[:8] + struct.pack("<I", 10 ** 8) + data[12:]
        p = self.put(self._resign_slice(self.b, q, data=bad))
        res = self.scan(p)
        self.assertEqual((res.error.code, res.error.offset), (BAD_SLICE, last_q))
        # the same FIRST at the very end of a file: only a torn tail
        cut = self._resign_slice(self.b, q, data=bad)[:end + 32 + 100]
        p = self.put(cut)
        res = self.scan(p)
        self.assertIsNone(res.error)
        self.assertEqual(res.tail.offset, q)

    def test_foreign_slice_copied(self):
        """A slice copied to another place fails its checks (context includes the offset)."""
        q1, e1, _ = self.spans[0]
        q2, e2, _ = self.spans[1]
        b = patch(self.b, q2, self.b[q1:e1])
        p = self.put(b)
        res = self.scan(p)
        self.assertEqual((res.error.code, res.error.offset), (CHECKSUM_MISMATCH, q2))


    def test_damage_in_an_intact_structure_is_interior(self):
        """§9 "at or after d": a slice that is intact but breaks a rule is interior damage even
        as the last structure of the file: here the last record's index exceeds
        MAX_RECORD_INDEX (base index 2^64 - 2, two records), INDEX_OVERFLOW at its slice."""
        _, b = self.write([(1, b"fits"), (2, b"overflows")], 512, lsfs.MAX_RECORD_INDEX - 1)
        header = bytearray(b[:64])
        struct.pack_into("<Q", header, 24, lsfs.MAX_RECORD_INDEX)
        struct.pack_into("<I", header, 60, lsfs.crc32c(bytes(header[:60])))
        p = self.put(bytes(header) + b[64:])
        second = slice_spans(b, 512)[1][0]
        res = self.scan(p)
        self.assertEqual((res.error.code, res.error.offset), (INDEX_OVERFLOW, second))
        self.assertIsNone(res.tail)
        sal = self.scan(p, salvage=True)
        self.assertEqual([(g.code, g.offset) for g in sal.gaps], [(INDEX_OVERFLOW, second)])
        self.assertIsNone(sal.tail)
        with self.assertRaises(LsfsError) as cm:
            self.info(p)
        self.assertEqual((cm.exception.code, cm.exception.offset), (INDEX_OVERFLOW, second))

    def test_block_0_beginning_with_a_continuation(self):
        """Block 0 is reached by no earlier block, so RSF-032 does not apply to it: a LAST slice
        at offset 64 continues no record (BAD_SLICE at 64), and the records after it are
        numbered from base_index + 1 (RSF-073: block 0 begins with a LAST slice)."""
        q, end, kind = self.spans[0]
        self.assertEqual(kind, lsfs.FULL)
        p = self.put(self._resign_slice(self.b, q, kind=lsfs.LAST))
        res = self.scan(p)
        self.assertEqual((res.error.code, res.error.offset), (BAD_SLICE, 64))
        sal = self.scan(p, salvage=True)
        self.assertEqual([(g.code, g.offset, g.length) for g in sal.gaps], [(BAD_SLICE, 64, end - 64)])
        self.assertEqual([r.index - self.base for r in sal.records], list(range(1, len(self.recs))))

    def test_open_checks_the_block_before_a_continuation(self):
        """§10 step 3: when the last block begins with a MIDDLE or LAST slice, the block before
        it is parsed too; damage there is interior and fails the open."""
        bs = self.bs
        k = next(q // bs for (q, _, kind) in self.spans if kind == lsfs.LAST and q % bs == 32)
        last_q, last_end, _ = next(sp for sp in self.spans if sp[0] == k * bs + 32)
        prev = [sp for sp in self.spans if sp[0] // bs == k - 1]
        target = prev[-1][0] + 20
        p = self.put(flip(self.b[:last_end], target))
        with self.assertRaises(LsfsError) as cm:
            self.info(p)
        self.assertEqual((cm.exception.code, cm.exception.offset), (CHECKSUM_MISMATCH, prev[-1][0]))
        # undamaged, the same cut opens with the record that LAST slice ends
        info = self.info(self.put(self.b[:last_end]))
        self.assertEqual(info.end, last_end)
        self.assertIsNone(info.tail)


class SalvageTests(TmpDirCase):
    def setUp(self):
        super().setUp()
        self.recs = [(1, b"a" * 10), (2, bytes(range(200)) * 6), (3, b"c" * 20), (4, b"d" * 20),
                     (5, b"e" * 700), (6, b"f" * 30), (7, b"g" * 5)]
        self.base = 50
        self.p, self.b = self.write(self.recs, 512, self.base)
        self.spans = slice_spans(self.b, 512)
        self.starts = record_starts(self.b, 512)
        self.ends = record_ends(self.b, 512)
        # record 1 is FIRST at 98, MIDDLE in block 1, LAST in block 2
        self.assertEqual([k for (_, _, k) in self.spans[1:4]], [lsfs.FIRST, lsfs.MIDDLE, lsfs.LAST])

    def salvage(self, b):
        return self.scan(self.put(b), salvage=True)

    def indexes(self, res):
        return [r.index - self.base for r in res.records]

    def gaps(self, res):
        return [(g.code, g.offset, g.length) for g in res.gaps]

    def test_damaged_first_middle_or_last_loses_the_record(self):
        rec_start, rec_end = self.starts[1], self.ends[1]
        for (q, end, kind) in self.spans[1:4]:
            with self.subTest(kind=kind):
                res = self.salvage(flip(self.b, q + 30))
                self.assertEqual(self.gaps(res),
                                 [(CHECKSUM_MISMATCH, rec_start, rec_end - rec_start)])
                self.assertEqual(self.indexes(res), [0, 2, 3, 4, 5, 6])
                self.assertIsNone(res.tail)
                for r in res.records:
                    self.assertEqual((r.type, r.data), self.recs[r.index - self.base])

    def test_two_gaps(self):
        b = flip(flip(self.b, self.starts[0] + 20), self.starts[5] + 20)
        res = self.salvage(b)
        self.assertEqual(self.gaps(res), [
            (CHECKSUM_MISMATCH, self.starts[0], self.ends[0] - self.starts[0]),
            (CHECKSUM_MISMATCH, self.starts[5], self.ends[5] - self.starts[5])])
        self.assertEqual(self.indexes(res), [1, 2, 3, 4, 6])

    def test_gap_then_torn_tail(self):
        b = flip(self.b, self.starts[2] + 20)[:self.ends[-1] - 2]
        res = self.salvage(b)
        self.assertEqual(self.gaps(res), [(CHECKSUM_MISMATCH, self.starts[2],
                                           self.ends[2] - self.starts[2])])
        self.assertEqual(res.tail.offset, self.ends[-2])
        self.assertEqual(self.indexes(res), [0, 1, 3, 4, 5])
        strict = self.scan(self.put(b))
        self.assertEqual((strict.error.code, strict.error.offset),
                         (CHECKSUM_MISMATCH, self.starts[2]))
        self.assertIsNone(strict.tail)

    def test_index_out_of_order(self):
        hb = _hand_block_header(FID, 1, self.base + 9)
        res = self.salvage(patch(self.b, 512, hb))
        # block 1 is skipped; the record it cut (FIRST at 98) and its LAST in block 2 are lost
        self.assertEqual(self.gaps(res), [(INDEX_OUT_OF_ORDER, self.starts[1],
                                           self.ends[1] - self.starts[1])])
        self.assertEqual(self.indexes(res), [0, 2, 3, 4, 5, 6])

    def test_orphan_after_resync_numbering(self):
        """The block after a skipped block begins with a LAST slice: the next record is
        first_index + 1 (RSF-032, RSF-073)."""
        res = self.salvage(flip(self.b, 512 + 1))       # block 1 magic
        self.assertEqual(self.indexes(res), [0, 2, 3, 4, 5, 6])
        self.assertEqual(self.gaps(res)[0][0], BAD_MAGIC)


# ---------------------------------------------------------------------------------------------
# torn tails
# ---------------------------------------------------------------------------------------------

class TornTailTests(TmpDirCase):
    def setUp(self):
        super().setUp()
        rng = random.Random(9)
        self.bs = 512
        self.base = 3
        self.recs = [(n, bytes(rng.getrandbits(8) for _ in range(ln))) for n, ln in
                     enumerate([5, 1100, 420, 0, 433, 20, 1500, 2])]
        self.p, self.b = self.write(self.recs, self.bs, self.base)
        self.ends = record_ends(self.b, self.bs)

    def expect(self, cut):
        n = sum(1 for e in self.ends if e <= cut)
        e = self.ends[n - 1] if n else 64
        return n, e

    def test_cut_everywhere(self):
        for cut in range(64, len(self.b) + 1):
            p = self.put(self.b[:cut])
            n, e = self.expect(cut)
            for salvage in (False, True):
                res = self.scan(p, salvage)
                self.assertIsNone(res.error, (cut, salvage))
                self.assertEqual(res.gaps, [])
                self.assertRecords(res.records, self.recs[:n], self.base)
                if cut == e:
                    self.assertIsNone(res.tail, cut)
                else:
                    self.assertEqual((res.tail.code, res.tail.offset), (TORN_TAIL, e), cut)
            info = self.info(p)
            self.assertEqual(info.end, e)
            self.assertEqual(info.last_index, self.base + n - 1 if n else None)
            self.assertEqual(info.first_index, self.base if n else None)
            self.assertEqual(info.tail is None, cut == e, cut)
            if info.tail:
                self.assertEqual(info.tail.offset, e)
            if n:
                self.assertRecords([self.lookup(p, self.base + n - 1)], [self.recs[n - 1]],
                                   self.base, n - 1)
            with self.assertRaises(LsfsError) as cm:
                self.lookup(p, self.base + n)
            self.assertEqual(cm.exception.code, INDEX_OUT_OF_RANGE)
            os.unlink(p)

    def test_torn_sectors(self):
        """Appendix A: a run of zeros or garbage from a 512-aligned offset to the end."""
        rng = random.Random(2)
        for start in range(512, len(self.b), 512):
            for fill in ("zero", "garbage"):
                for end in (len(self.b), len(self.b) + 300):
                    if fill == "zero":
                        tornb = bytes(end - start)
                    else:
                        tornb = bytes(rng.getrandbits(8) for _ in range(end - start))
                    p = self.put(self.b[:start] + tornb)
                    n, e = self.expect(start)
                    res = self.scan(p)
                    self.assertIsNone(res.error, (start, fill))
                    self.assertRecords(res.records, self.recs[:n], self.base)
                    self.assertEqual(res.tail.offset, e)
                    info = self.info(p)
                    self.assertEqual((info.end, info.tail.offset), (e, e))
                    os.unlink(p)

    def test_garbage_after_clean_end(self):
        p = self.put(self.b + b"\x00" * 10)
        res = self.scan(p)
        self.assertEqual(res.tail.offset, len(self.b))
        self.assertEqual(len(res.records), len(self.recs))

    def test_interior_damage_near_tail_fails_open(self):
        """§10 step 3: damage followed by an intact structure is interior."""
        spans = slice_spans(self.b, self.bs)
        q, end, kind = spans[-2]
        p = self.put(flip(self.b, q + 9))
        with self.assertRaises(LsfsError) as cm:
            self.info(p)
        self.assertEqual((cm.exception.code, cm.exception.offset), (CHECKSUM_MISMATCH, q))


# ---------------------------------------------------------------------------------------------
# the testee, end to end
# ---------------------------------------------------------------------------------------------

class ProtocolTests(TmpDirCase):
    def setUp(self):
        super().setUp()
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "lsfs_testee.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.next_id = 0

    def tearDown(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdin.close()
        self.proc.stdout.close()
        self.proc.stderr.close()
        super().tearDown()

    def call(self, req):
        self.next_id += 1
        req = dict(req, id=self.next_id)
        self.proc.stdin.write(json.dumps(req).encode() + b"\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        resp = json.loads(line)
        self.assertEqual(resp["id"], self.next_id)
        return resp

    def test_session(self):
        r = self.call({"op": "hello"})
        self.assertEqual(r["profiles"], ["reader", "writer"])
        p = self.path()
        r = self.call({"op": "write", "path": p, "blockSize": 512, "fileId": "0123456789abcdef",
                       "baseIndex": "10",
                       "operations": [{"type": "1", "hex": "616263"}, {"sync": True},
                                      {"type": "18446744073709551615",
                                       "repeat": {"byte": "ab", "length": 5000}},
                                      {"type": "3", "hex": ""}]})
        self.assertTrue(r["ok"], r)
        self.assertEqual(r["size"], os.path.getsize(p))
        r = self.call({"op": "read", "path": p, "mode": "strict", "direction": "forward"})
        self.assertEqual([x["index"] for x in r["records"]], ["10", "11", "12"])
        self.assertEqual(r["records"][0]["hex"], "616263")
        self.assertNotIn("hex", r["records"][1])
        self.assertEqual(r["records"][1]["length"], 5000)
        self.assertEqual(r["records"][1]["sha256"], hashlib.sha256(b"\xab" * 5000).hexdigest())
        self.assertEqual((r["tail"], r["gaps"], r["error"]), (None, [], None))
        back = self.call({"op": "read", "path": p, "mode": "strict", "direction": "backward"})
        self.assertEqual(back["records"], r["records"][::-1])
        frm = self.call({"op": "read", "path": p, "mode": "salvage", "direction": "forward",
                         "from": "11"})
        self.assertEqual(frm["records"], r["records"][1:])
        info = self.call({"op": "open-info", "path": p})
        self.assertEqual({k: info[k] for k in ("blockSize", "fileId", "baseIndex", "firstIndex",
                                                "lastIndex", "tail")},
                         {"blockSize": 512, "fileId": "0123456789abcdef", "baseIndex": "10",
                          "firstIndex": "10", "lastIndex": "12", "tail": None})
        r2 = self.call({"op": "lookup", "path": p, "index": "11"})
        self.assertEqual(r2["record"], r["records"][1])
        r3 = self.call({"op": "lookup", "path": p, "index": "13"})
        self.assertEqual(r3["error"]["code"], INDEX_OUT_OF_RANGE)
        # torn tail through the protocol
        with open(p, "rb") as f:
            b = f.read()
        tp = self.put(b[:-3])
        t = self.call({"op": "read", "path": tp})
        self.assertEqual(t["tail"], {"code": "TORN_TAIL", "offset": len(b) - 12 - 12})
        # damage through the protocol
        dp = self.put(flip(b, 70))
        d = self.call({"op": "read", "path": dp, "mode": "strict"})
        self.assertEqual(d["error"], {"code": "CHECKSUM_MISMATCH", "offset": 64})
        self.assertEqual(d["records"], [])
        d = self.call({"op": "read", "path": dp, "mode": "salvage"})
        self.assertIsNone(d["error"])
        self.assertEqual(d["gaps"][0]["offset"], 64)
        # bad header
        hp = self.put(b"\x00" * 10)
        h = self.call({"op": "read", "path": hp, "mode": "salvage"})
        self.assertEqual(h["error"], {"code": "TRUNCATED_HEADER", "offset": 0})
        h = self.call({"op": "open-info", "path": hp})
        self.assertEqual((h["ok"], h["error"]["code"], h["error"]["offset"]),
                         (False, "TRUNCATED_HEADER", 0))
        r = self.call({"op": "shutdown"})
        self.assertTrue(r["ok"])
        self.assertEqual(self.proc.wait(timeout=10), 0)

    def test_errors(self):
        p = self.path()
        cases = [
            ({"op": "frobnicate"}, "UNSUPPORTED_OP"),
            ({"op": "read", "path": os.path.join(self.dir, "missing")}, "IO_ERROR"),
            ({"op": "lookup", "path": p, "index": 7}, "INVALID_ARGUMENT"),
            ({"op": "lookup", "path": p, "index": "07"}, "INVALID_ARGUMENT"),
            ({"op": "lookup", "path": p, "index": "18446744073709551616"}, "INVALID_ARGUMENT"),
            ({"op": "read", "path": p, "direction": "backward", "from": "1"}, "INVALID_ARGUMENT"),
            ({"op": "write", "path": p, "operations": [{"type": "1", "hex": "ABCD"}]},
             "INVALID_ARGUMENT"),
            ({"op": "write", "path": p, "fileId": "0123456789ABCDEF", "operations": []},
             "INVALID_ARGUMENT"),
            ({"op": "write", "path": p, "blockSize": 100, "operations": []}, "INVALID_ARGUMENT"),
            ({"op": "write", "path": p, "baseIndex": "18446744073709551615", "operations": []},
             "INVALID_ARGUMENT"),
        ]
        for req, code in cases:
            r = self.call(req)
            self.assertFalse(r["ok"], req)
            self.assertEqual(r["error"]["code"], code, req)
        self.assertFalse(os.path.exists(p))
        r = self.call({"op": "write", "path": p, "operations": [
            {"type": "1", "hex": "00"},
            {"type": "1", "repeat": {"byte": "00", "length": 2 ** 30 + 1}}]})
        self.assertEqual((r["error"]["code"], r["error"]["offset"], r["error"]["operation"]),
                         ("RECORD_TOO_LARGE", None, 1))
        info = self.call({"op": "open-info", "path": p})
        self.assertEqual(info["lastIndex"], "0")
        self.proc.stdin.write(b"this is not json\n")
        self.proc.stdin.flush()
        r = json.loads(self.proc.stdout.readline())
        self.assertEqual((r["id"], r["error"]["code"]), (None, "INVALID_ARGUMENT"))
        self.proc.stdin.close()          # EOF: the testee exits 0 without a response
        self.assertEqual(self.proc.wait(timeout=10), 0)
        self.assertEqual(self.proc.stdout.read(), b"")


if __name__ == "__main__":
    unittest.main()

/**
 * The manifest's dictionaries: a short title for every requirement of spec/lsfs-format.md, the
 * requirements no vector can show (with the tests that cover them instead), and the flags.
 */

/** Every requirement of the spec, with its tag and a short title. test/vectors/coverage.test.ts checks the list against the spec. */
export const REQUIREMENTS: Record<string, string> = {
  'RSF-001': '[F] block size is a power of two from 512 to 65536',
  'RSF-002': '[F] payload length at most MAX_PAYLOAD_LENGTH (2^30)',
  'RSF-003': '[F] record index at most MAX_RECORD_INDEX (2^64 - 2)',
  'RSF-004': '[W] refuse RECORD_TOO_LARGE and INDEX_OVERFLOW, writing nothing',
  'RSF-005': '[R] allocate nothing by a length read from the file before checking it',
  'RSF-010': '[F] every checksum is the CRC-32C of the bytes named for it',
  'RSF-011': '[R] verify checksums before using fields; never return bytes whose checksum failed',
  'RSF-020': '[F] a file begins with the 64-byte file header',
  'RSF-021': '[W] file_id random, unless the caller supplies one',
  'RSF-022': '[R] file header checks, in order: length, magic, version, crc, block size, reserved',
  'RSF-023': '[W] create atomically: temporary file, sync, rename, directory sync',
  'RSF-030': '[F] every block k >= 1 begins with a block header',
  'RSF-031': '[R] block header checks, in order: length, magic, crc, file_id, block_number',
  'RSF-032': '[F] first_index is the owner of the block\'s first slice; otherwise INDEX_OUT_OF_ORDER',
  'RSF-040': '[F] a slice lies within one block',
  'RSF-041': '[F] slice checksums use the context file_id and slice offset',
  'RSF-042': '[R] slice checks, in order, and how far their damage reaches',
  'RSF-043': '[F] slices form whole records in order (FULL, or FIRST MIDDLE* LAST)',
  'RSF-050': '[F] a record\'s slices hold exactly 12 + payload_length data bytes',
  'RSF-051': '[R] RECORD_TOO_LARGE above 2^30; a record cut by the end of the file is not an error by itself',
  'RSF-052': '[R] order of the record rules for an intact slice',
  'RSF-060': '[W] the canonical layout: same inputs, same bytes, whatever the syncs',
  'RSF-061': '[F] padding is zeros and only where fewer than 24 bytes are left',
  'RSF-062': '[R] non-zero padding is BAD_PADDING at the padding\'s start',
  'RSF-063': '[W] never change a byte a completed sync covered',
  'RSF-064': '[W] a sync makes every earlier record durable before it is acknowledged',
  'RSF-065': '[W] an exclusive writer lock; a second writer fails with LOCKED',
  'RSF-070': '[R] damage is at the tail or interior by the definition of section 9',
  'RSF-071': '[R] a strict read returns the records before the first damage, then its error or the torn tail',
  'RSF-072': '[R] a salvage read returns every intact record and reports gaps and the tail exactly',
  'RSF-073': '[R] a record\'s index from its block\'s first_index and the record starts before it',
  'RSF-074': '[R] a read-only reader treats tail damage as a record still being written',
  'RSF-080': '[R] opening reads a bounded number of blocks from the tail',
  'RSF-081': '[W] a writer opening a file cuts off the torn tail and reports it',
  'RSF-082': '[W] after tail recovery every synced record is still there, unchanged',
  'RSF-083': '[R] a read-only reader still serves strict and salvage reads when open finds interior damage; lookups are INDEX_OUT_OF_RANGE',
  'RSF-090': '[R] lookup by index in O(log n) block reads',
  'RSF-091': '[R] iterate forward from any index and backward from the newest, as a full scan',
  'RSF-100': '[R] every damage is reported with the code and offset the spec gives',
  'RSF-101': '[R] no crash, hang or data on any input: records or a code of section 12',
};

/** Requirements that no file and no single write session can show, and the tests that cover them instead. */
export const NOT_COVERED_BY_VECTORS: Record<string, string> = {
  'RSF-023':
    'atomic creation is a property of the file-system calls during a create, not of the bytes of a file: covered by test/io/node-storage.test.ts ("creates a file atomically, leaving no temporary file behind") and test/io/memory-storage.test.ts (an unsynced creation may vanish in a crash, a synced one never does)',
  'RSF-063':
    'needs the file observed across syncs and crashes: covered by test/model/record-log.model.test.ts (the engine against an oracle through simulated crashes) and test/engine/durability.test.ts',
  'RSF-064':
    'durability needs a crash after the sync: covered by test/engine/durability.test.ts ("a crash loses no synced record ...") and test/model/record-log.model.test.ts; group commit by test/engine/record-log.test.ts',
  'RSF-065':
    'locking needs two writers at once: covered by test/io/node-storage.test.ts ("NodeStorage locks", across processes) and test/engine/record-log.test.ts ("gives a second writer LOCKED")',
  'RSF-081':
    'the protocol has no operation that opens an existing file for writing; open-info vectors give the torn tail that recovery cuts (its offset is E): covered by test/engine/durability.test.ts ("every cut of a multi-block file keeps every record before it and opens for appending") and test/model/record-log.model.test.ts',
  'RSF-082':
    'needs a writer to reopen a crashed file: covered by test/engine/durability.test.ts and test/model/record-log.model.test.ts',
};

export const FLAGS: Record<string, string> = {
  Valid: 'a conforming file: no damage and no torn tail; every read returns all its records with no gap, no tail and no error',
  SlicingEdge: 'places a record at an edge of the canonical layout (spec section 8): a slice that exactly fills its block, 24 or 23 bytes left, a 1-byte LAST slice, a FIRST slice holding only the record header, ...',
  MultiBlockRecord: 'holds a record cut into FIRST, MIDDLE and LAST slices across blocks',
  LargePayload: 'holds a record longer than 4096 bytes: its record objects carry length and sha256 but no hex',
  ManyRecords: 'holds thousands of records: exercises the binary search of lookups (spec section 11)',
  BaseIndex: 'uses a non-zero base index, up to the largest u64',
  IndexLimit: 'involves the largest record index 2^64 - 2 (RSF-003): a record there is valid, one beyond is INDEX_OVERFLOW',
  HeaderDamage: 'the file header fails a check of RSF-022: every operation reports that error (records [], open-info and lookups fail with it)',
  TornTail: 'a strict read ends with TORN_TAIL: the file ends inside the log, or its first damage has no intact structure at or after it',
  CrashShape: 'the file is one a crash can leave under spec appendix A: whole records, then a cut and possibly one run of zero or garbage bytes from a 512-byte boundary to the end',
  BitFlip: 'one bit of an otherwise valid file is flipped (corruption outside the crash model)',
  Crafted: 'structures with correct checksums that break a rule of the format: what a buggy or foreign writer, not a crash, produces',
  InteriorDamage: 'the first damage has an intact structure at or after it (spec section 9): a strict read fails with its code and offset after the records before it',
  SalvageGap: 'a salvage read reports at least one gap (RSF-072)',
  OpenFromTail: 'open-info reads only the tail (spec section 10, RSF-080) and does not report the interior damage a full read finds: its lastIndex and tail differ from the strict read\'s',
  CheckOrder: 'several checks fail at once: the expected code is the first in the order the spec fixes (RSF-022, RSF-031, RSF-042, RSF-052)',
  EarlierDraft:
    'an earlier draft of conformance/PROTOCOL.md read the spec differently here (appendix B: tail or interior by "a larger offset" instead of "at or after", the order of the RSF-052 checks, a record cut by the end of the file as RECORD_TOO_LARGE; section 4.5: BAD_BLOCK_SIZE for a bad block size in a write request): a testee built on that draft fails this case',
  Reading:
    'the outcome depends on which first_index a reader expects of a block (RSF-032), which the spec leaves open when the block does not begin as the records before it require; the vectors follow PROTOCOL.md appendix B.2 (see test-vectors/README.md, "Readings")',
  Canonical: 'writer case: the expected bytes are the canonical layout of spec section 8 for the given block size, file id, base index and records (RSF-060)',
  Syncs: 'writer case: the operations include syncs, which must not change the bytes',
  WriterRefusal: 'writer case: the writer must refuse the request or one operation (error with offset null; operation = its position), writing nothing for it',
};

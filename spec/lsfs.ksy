meta:
  id: lsfs
  title: LSFS log-structured record stream file, format version 1
  file-extension: lsfs
  license: MIT
  ks-version: 0.11
  endian: le
doc: |
  An LSFS file stores a sequence of records (a 64-bit type code, a payload of 0 to 2^30 bytes and
  a 64-bit index) in fixed-size blocks of 512 to 65536 bytes. Block 0 starts with the 64-byte file
  header; every other block starts with a 32-byte block header. The rest of a block holds slices
  (slice header, data, slice trailer); a record that does not fit in what is left of a block is cut
  into a FIRST slice that fills the block, MIDDLE slices that fill whole blocks, and a LAST slice.
  A block's unused end, fewer than 24 bytes, is zero padding. The last block of a file is usually
  partial: the file ends right after its last slice.

  This schema describes the bytes: the file header, the block headers, the slices with their kinds,
  lengths and magics, the record header, and the zero padding. Kaitai Struct cannot express the rest
  of the format (spec §14), which `spec/kaitai-wrapper.ts` checks after this schema has parsed a file:

  * every checksum: the file header's and block headers' `header_crc`, and each slice's
    `header_check` and `slice_crc`, which are CRC-32C over a 16-byte context
    (`file_id ‖ slice_offset`) followed by the slice's own bytes (spec §3);
  * the order in which a reader must check fields and which error it reports (spec §4–§6, §12):
    this schema validates some fields (kind, reserved bytes, block size) before the checksum that
    covers them, so the wrapper re-checks a structure in the spec's order when parsing fails;
  * the choice between padding and another slice: the schema reads a block's first slice, then
    further slices while at least 24 bytes (`MIN_RECORD_START`) are left in the block's bytes, and
    calls the rest padding. That is right for every whole block, because a FIRST or MIDDLE slice
    always ends exactly at its block's end, and a FULL or LAST slice is followed by another slice
    only when 24 or more bytes are left. Only where the file ends inside a block can the short
    remainder be a cut-off slice rather than padding: the wrapper, which knows the block size,
    decides that (spec §10, torn tail);
  * the slice sequence (FULL, or FIRST MIDDLE* LAST across consecutive blocks), the block headers'
    `file_id`, `block_number` and `first_index`, and the reassembly of records from their slices
    (spec §6–§8): the wrapper applies `record_header` to the first 12 data bytes of each FULL or
    FIRST slice;
  * the tail rules of spec §9–§10 (torn tail versus interior damage).

  The JavaScript runtime reads `u8` fields as IEEE doubles, exact only below 2^53; the wrapper
  therefore reads 64-bit fields (`file_id`, `base_index`, `block_number`, `first_index`,
  `type_code`) from the parsed structures' raw bytes.
doc-ref: lsfs-format.md §1 Overview, §14 What Kaitai Struct can and cannot express
seq:
  - id: file_header
    type: file_header
    size: 64
    doc: The file header; it takes the place of block 0's block header.
  - id: blocks
    type: block(_index)
    size: |
      (_io.size - _io.pos) < (_index == 0 ? block_size - 64 : block_size)
        ? (_io.size - _io.pos)
        : (_index == 0 ? block_size - 64 : block_size)
    repeat: eos
    doc: |
      The blocks, in order. Block 0's bytes here are those after the file header
      (`block_size - 64` bytes); every other block is `block_size` bytes. The last block may be
      partial: it ends where the file ends.
    doc-ref: lsfs-format.md §5 Block header
instances:
  block_size:
    value: 1 << file_header.block_size_log2
    doc: Block size in bytes, a power of two from 512 to 65536.
    doc-ref: lsfs-format.md §2 Conventions and limits
enums:
  slice_kind:
    1:
      id: full
      doc: Holds a whole record.
    2:
      id: first
      doc: Holds the start of a record and fills the rest of its block.
    3:
      id: middle
      doc: Holds a part of a record and fills a whole block's data area.
    4:
      id: last
      doc: Holds the end of a record (at least 1 byte).
types:
  file_header:
    doc: |
      The file header at offset 0 (64 bytes). A reader checks, in this order: length, magic,
      format_version, header_crc, block_size_log2, reserved fields, base_index. `header_crc` is the
      CRC-32C of bytes 0 to 59 (checked by the wrapper).
    doc-ref: lsfs-format.md §4 File header
    seq:
      - id: magic
        contents: [0x89, 0x4c, 0x53, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]
        doc: '`\x89LSF\r\n\x1a\n`: a non-ASCII byte and CR LF SUB LF catch text-mode mangling.'
      - id: format_version
        type: u2
        valid: 1
      - id: block_size_log2
        type: u1
        valid:
          min: 9
          max: 16
      - id: reserved_0
        type: u1
        valid: 0
      - id: feature_flags
        type: u4
        valid: 0
        doc: No features are defined in version 1.
      - id: file_id
        type: u8
        doc: The file identity, part of every slice's checksum context.
      - id: base_index
        type: u8
        doc: The index of the file's first record (block 0's `first_index`).
      - id: reserved_1
        contents: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        doc: 28 zero bytes.
      - id: header_crc
        type: u4
        doc: CRC-32C of bytes 0 to 59 of the file header.
    instances:
      crc_input:
        pos: 0
        size: 60
        doc: The bytes `header_crc` covers.
  block:
    doc: |
      One block's bytes (for block 0, those after the file header): the block header (blocks k ≥ 1
      only), then the data area.
    doc-ref: lsfs-format.md §5 Block header
    params:
      - id: number
        type: u4
        doc: The block number k (its position in the file).
    seq:
      - id: header
        type: block_header
        size: 32
        if: number != 0
      - id: data
        type: block_data
        size-eos: true
  block_header:
    doc: |
      The header at the start of every block k ≥ 1 (32 bytes). A reader checks, in this order:
      magic, header_crc (CRC-32C of bytes 8 to 31, checked by the wrapper), file_id equal to the file
      header's, block_number equal to k, and first_index equal to the index it expects.
    doc-ref: lsfs-format.md §5 Block header
    seq:
      - id: magic
        contents: LSBK
      - id: header_crc
        type: u4
        doc: CRC-32C of bytes 8 to 31 of this header.
      - id: file_id
        type: u8
        doc: Equal to the file header's `file_id`.
      - id: block_number
        type: u8
        doc: The block's number k.
      - id: first_index
        type: u8
        doc: |
          Index of the record that owns the block's first slice: the record in progress if the
          block begins with a MIDDLE or LAST slice, otherwise the next record.
    instances:
      crc_input:
        pos: 8
        size: 24
        doc: The bytes `header_crc` covers.
  block_data:
    doc: |
      A block's data area: a slice (a block is only ever started for a slice, and a LAST slice at
      the start of the file's last, partial block may be as short as 13 bytes), then more slices
      while at least 24 bytes (MIN_RECORD_START) are left, then the padding. A FIRST or MIDDLE
      slice ends exactly at its block's end, so after it nothing is left. Where the file ends
      inside the block, a short remainder may be a cut-off slice rather than padding; the wrapper
      decides (see the top-level doc).
    doc-ref: lsfs-format.md §6 Slices, §8 Canonical layout
    seq:
      - id: slices
        type: slice
        repeat: until
        repeat-until: (_io.size - _io.pos) < 24
        if: not _io.eof
      - id: padding
        type: u1
        repeat: eos
        valid: 0
        doc: Fewer than 24 zero bytes at the block's end.
        doc-ref: lsfs-format.md §8 Canonical layout (RSF-061)
  slice:
    doc: A slice header, `data_length` data bytes, and a slice trailer. It lies within one block.
    doc-ref: lsfs-format.md §6 Slices
    seq:
      - id: header
        type: slice_header
        size: 8
      - id: data
        size: header.data_length
        doc: |
          A piece of one record's data. The data of a record's slices, concatenated, is a
          `record_header` followed by the payload.
      - id: trailer
        type: slice_trailer
  slice_header:
    doc: |
      8 bytes. A reader checks, in this order: magic, header_check (low 16 bits of
      CRC-32C(context ‖ bytes 0 to 5), checked by the wrapper), kind, reserved, data_length (the
      trailer must end within the block).
    doc-ref: lsfs-format.md §6 Slices
    seq:
      - id: magic
        contents: SL
      - id: kind
        type: u1
        enum: slice_kind
        valid:
          in-enum: true
      - id: reserved
        type: u1
        valid: 0
      - id: data_length
        type: u2
        doc: Number of data bytes that follow the header.
      - id: header_check
        type: u2
        doc: Low 16 bits of CRC-32C(context ‖ bytes 0 to 5 of this header).
  slice_trailer:
    doc-ref: lsfs-format.md §6 Slices
    seq:
      - id: slice_crc
        type: u4
        doc: CRC-32C(context ‖ the 8 header bytes ‖ the data), context = file_id (u64) ‖ slice_offset (u64).
  record_header:
    doc: |
      The first 12 bytes of a record's data, which always lie whole in the record's FULL or FIRST
      slice. The payload follows and continues in the record's later slices; a record's slices
      hold exactly 12 + payload_length data bytes. The wrapper applies this type to the first 12
      data bytes of each FULL or FIRST slice.
    doc-ref: lsfs-format.md §7 Record header
    seq:
      - id: type_code
        type: u8
        doc: The record's type code; every u64 is valid.
      - id: payload_length
        type: u4
        valid:
          max: 1073741824
        doc: The payload's length in bytes, at most 2^30 (MAX_PAYLOAD_LENGTH).

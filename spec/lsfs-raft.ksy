meta:
  id: lsfs_raft
  title: LSFS Raft log final-data file (A/B hard-state copy) and entry payload, version 1
  file-extension:
    - a
    - b
  license: MIT
  ks-version: 0.11
  endian: le
doc: |
  An LSFS Raft log is a directory holding two final-data files, `final-data.a` and
  `final-data.b`, and segment files `segment-<base>-<id>.lsfs` (LSFS record files, described by
  `lsfs.ksy`). This schema's top level is one final-data file: a header with a generation number,
  the hard state (term, vote, commit and applied indexes, snapshot, live segment list, URI,
  cluster configuration) and a CRC-32C. A reader takes the copy with the higher generation among
  those whose CRC-32C is right; a writer overwrites the other copy in place.

  The type `entry_payload` is the payload of each record of a segment file: a Raft log entry
  whose index is the record's index and whose code is the record's type code (enum
  `entry_code`).

  Kaitai Struct cannot express, and a reader must check itself (spec §10):

  * the CRC-32C after the payload, over every byte before it (the header and the payload);
  * the A/B choice between the two copies by generation (spec RLG-072), and which failures mark a
    copy torn (ignored) rather than make the whole log unreadable (RLG-071);
  * the consistency rules of the hard state (RLG-062) and of the segment list against the
    segment files (RLG-081);
  * the shortest-form rule of the LEB128 integers (RLG-002). The JavaScript runtime reads `u8`
    fields and LEB128 values as IEEE doubles, exact only below 2^53, which is also the limit of
    the reference implementation.
doc-ref: lsfs-raft-log.md §6 Final-data files
seq:
  - id: magic
    contents: [0x89, 0x4c, 0x52, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]
    doc: '`\x89LRF\r\n\x1a\n`, shaped like the LSFS magic so that a text-mode transfer is caught.'
    doc-ref: lsfs-raft-log.md §6.1 Layout
  - id: format_version
    type: u2
    valid: 1
    doc: Version of the final-data layout. A right magic with another version makes the log unreadable.
  - id: slot
    type: u1
    enum: slot
    valid:
      any-of:
        - slot::a
        - slot::b
    doc: Which of the two files this copy belongs in; a copy in the other file is refused.
  - id: reserved
    type: u1
    valid: 0
  - id: payload_length
    type: u4
    valid:
      max: 67108864
    doc: Bytes of `hard_state`; at most 2^26.
  - id: generation
    type: u8
    doc: One more than the generation of the copy this update replaced as current.
    doc-ref: lsfs-raft-log.md §6.3 Choosing and writing a copy
  - id: hard_state
    type: hard_state
    size: payload_length
  - id: crc32c
    type: u4
    doc: CRC-32C (Castagnoli) of every byte of the file before this field.
    doc-ref: lsfs-format.md §3 Checksums
  - id: slack
    size-eos: true
    doc: Bytes left from a longer earlier copy; ignored.
enums:
  slot:
    0:
      id: a
      doc: The copy in `final-data.a`.
    1:
      id: b
      doc: The copy in `final-data.b`.
  entry_code:
    1:
      id: term_start
      doc: The entry a new leader appends when its term starts.
    2:
      id: client_command
      doc: A client's command for the state machine.
    3:
      id: cluster_config
      doc: A change of the cluster's membership.
types:
  hard_state:
    doc: Everything of the Raft log that is not an entry, and the live segment list.
    doc-ref: lsfs-raft-log.md §6.2 Hard state
    seq:
      - id: term
        type: u8
      - id: commit_index
        type: u8
      - id: applied_index
        type: u8
      - id: snapshot_index
        type: u8
        doc: Index of the last entry the snapshot includes; 0 without a snapshot.
      - id: snapshot_term
        type: u8
        doc: Term of that entry; 0 without a snapshot.
      - id: next_segment_id
        type: u8
        doc: Above every segment id ever used; ids are never reused.
      - id: flags
        type: hard_state_flags
      - id: reserved
        contents: [0, 0, 0]
      - id: segment_count
        type: u4
      - id: segments
        type: segment_ref
        repeat: expr
        repeat-expr: segment_count
        doc: The live segments by increasing base; the last is the tail.
      - id: voted_for
        type: text
        if: flags.has_voted_for
      - id: uri
        type: text
        if: flags.has_uri
      - id: cluster_config
        type: text
        if: flags.has_cluster_config
        doc: The cluster configuration as JSON.
  hard_state_flags:
    meta:
      bit-endian: le
    seq:
      - id: broken
        type: b1
        doc: The node must not run on this log until it is fixed.
      - id: has_voted_for
        type: b1
      - id: has_uri
        type: b1
      - id: has_cluster_config
        type: b1
      - id: reserved
        type: b4
        valid: 0
  segment_ref:
    doc: A live segment file, `segment-<base_index>-<id>.lsfs` with both numbers as 20 digits.
    doc-ref: lsfs-raft-log.md §5 Segment files
    seq:
      - id: id
        type: u8
      - id: base_index
        type: u8
        doc: Index of the segment's first entry; the LSFS file's base_index.
      - id: file_id
        type: u8
        doc: The LSFS file's file_id, checked when the segment is opened.
  text:
    seq:
      - id: length
        type: u4
      - id: value
        type: str
        size: length
        encoding: UTF-8
  entry_payload:
    doc: |
      The payload of one LSFS record of a segment file: a Raft log entry. The record's type code
      is the entry's code (enum `entry_code`), the record's index is the entry's index. The
      committed and applied marks are not stored: they follow from the hard state's indexes.
    doc-ref: lsfs-raft-log.md §4 Entry encoding
    seq:
      - id: term
        type: u8
      - id: flags
        type: entry_flags
      - id: serial
        type: vlq
        if: flags.has_serial
        doc: The client's serial number of the command.
      - id: leader_id_length
        type: vlq
        if: flags.has_leader_id
      - id: leader_id
        type: str
        size: leader_id_length.value
        encoding: UTF-8
        if: flags.has_leader_id
      - id: result_length
        type: vlq
        if: flags.has_result
      - id: result
        size: result_length.value
        if: flags.has_result
      - id: command
        size-eos: true
        doc: The command bytes, which take the rest of the payload.
  entry_flags:
    meta:
      bit-endian: le
    seq:
      - id: has_serial
        type: b1
      - id: has_leader_id
        type: b1
      - id: has_result
        type: b1
      - id: error
        type: b1
        doc: Applying the command failed.
      - id: reserved
        type: b4
        valid: 0
  vlq:
    doc: |
      Unsigned LEB128: 7 bits per byte, least significant group first, the high bit set on every
      byte but the last; at most 10 bytes, in its shortest form.
    doc-ref: lsfs-raft-log.md §2 Conventions
    seq:
      - id: groups
        type: vlq_group
        repeat: until
        repeat-until: not _.has_next
    instances:
      length:
        value: groups.size
      value:
        value: >-
          groups[0].value
          + (length >= 2 ? groups[1].value * 128 : 0)
          + (length >= 3 ? groups[2].value * 16384 : 0)
          + (length >= 4 ? groups[3].value * 2097152 : 0)
          + (length >= 5 ? groups[4].value * 268435456 : 0)
          + (length >= 6 ? groups[5].value * 34359738368 : 0)
          + (length >= 7 ? groups[6].value * 4398046511104 : 0)
          + (length >= 8 ? groups[7].value * 562949953421312 : 0)
        doc: The value, for up to 8 groups (56 bits; exact in JavaScript below 2^53).
  vlq_group:
    seq:
      - id: byte
        type: u1
    instances:
      has_next:
        value: (byte & 0x80) != 0
      value:
        value: byte & 0x7f

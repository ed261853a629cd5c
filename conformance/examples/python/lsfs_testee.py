#!/usr/bin/env python3
"""LSFS conformance testee: the Python example implementation.

Speaks the line protocol of conformance/PROTOCOL.md on stdin/stdout. Run it as

    python3 conformance/examples/python/lsfs_testee.py

stdout carries protocol responses only; everything else (including stray prints and
tracebacks) goes to stderr.
"""

from __future__ import annotations

import json
import os
import re
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lsfs  # noqa: E402

IMPLEMENTATION = "lsfs-python-example 0.1.0"
PROFILES = ["reader", "writer"]
PROTOCOL_VERSION = 1
HEX_LIMIT = 4096          # records with a payload up to this length carry "hex"

_U64_RE = re.compile(r"(?:0|[1-9][0-9]{0,19})\Z")
_FILE_ID_RE = re.compile(r"[0-9a-f]{16}\Z")
_HEX_RE = re.compile(r"(?:[0-9a-f]{2})*\Z")


class BadRequest(Exception):
    pass


class ProtocolFailure(Exception):
    """An error response with a code that is not an LsfsError (UNSUPPORTED_OP)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# ---------------------------------------------------------------------------------------------
# request field helpers
# ---------------------------------------------------------------------------------------------

def _u64(req: dict, name: str, default=None, required=True) -> int:
    if name not in req:
        if required and default is None:
            raise BadRequest(f'"{name}" is required')
        return default
    v = req[name]
    if not isinstance(v, str) or not _U64_RE.match(v) or int(v) > lsfs.U64_MAX:
        raise BadRequest(f'"{name}" must be a decimal u64 string')
    return int(v)


def _str(req: dict, name: str, choices=None, default=None) -> str:
    if name not in req:
        if default is None:
            raise BadRequest(f'"{name}" is required')
        return default
    v = req[name]
    if not isinstance(v, str) or not v:
        raise BadRequest(f'"{name}" must be a non-empty string')
    if choices is not None and v not in choices:
        raise BadRequest(f'"{name}" must be one of {", ".join(choices)}')
    return v


def _int(obj: dict, name: str, default=None) -> int:
    if name not in obj:
        if default is None:
            raise BadRequest(f'"{name}" is required')
        return default
    v = obj[name]
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise BadRequest(f'"{name}" must be a non-negative integer')
    return v


def _hex(obj: dict, name: str) -> bytes:
    v = obj[name]
    if not isinstance(v, str) or not _HEX_RE.match(v):
        raise BadRequest(f'"{name}" must be lowercase hex with an even number of digits')
    return bytes.fromhex(v)


# ---------------------------------------------------------------------------------------------
# response helpers
# ---------------------------------------------------------------------------------------------

def _record_json(r: lsfs.Record) -> dict:
    out = {"index": str(r.index), "type": str(r.type), "length": r.length, "sha256": r.sha256}
    if r.length <= HEX_LIMIT:
        out["hex"] = r.data.hex()
    return out


def _damage_json(d) -> dict | None:
    return None if d is None else {"code": d.code, "offset": d.offset}


def _error_json(code: str, offset, message: str, **extra) -> dict:
    e = {"code": code, "offset": offset, "message": message}
    e.update(extra)
    return e


def _open(path: str) -> lsfs.LsfsFile:
    return lsfs.LsfsFile.open(path)


# ---------------------------------------------------------------------------------------------
# operations
# ---------------------------------------------------------------------------------------------

def op_hello(req: dict) -> dict:
    return {"implementation": IMPLEMENTATION, "profiles": PROFILES, "protocol": PROTOCOL_VERSION}


def op_read(req: dict) -> dict:
    path = _str(req, "path")
    mode = _str(req, "mode", ("strict", "salvage"), default="strict")
    direction = _str(req, "direction", ("forward", "backward"), default="forward")
    start = _u64(req, "from", required=False)
    if start is not None and direction != "forward":
        raise BadRequest('"from" is only allowed with direction "forward"')
    try:
        f = _open(path)
    except lsfs.LsfsError as e:
        if e.code == lsfs.IO_ERROR:
            raise
        # the file header is unreadable: no records, in either mode
        return {"records": [], "tail": None, "gaps": [],
                "error": {"code": e.code, "offset": e.offset}}
    with f:
        res = f.scan(salvage=(mode == "salvage"), keep_limit=HEX_LIMIT)
    records = res.records
    if start is not None:
        records = [r for r in records if r.index >= start]
    if direction == "backward":
        records = records[::-1]
    return {
        "records": [_record_json(r) for r in records],
        "tail": _damage_json(res.tail),
        "gaps": [{"code": g.code, "offset": g.offset, "length": g.length} for g in res.gaps],
        "error": _damage_json(res.error),
    }


def op_lookup(req: dict) -> dict:
    path = _str(req, "path")
    index = _u64(req, "index")
    with _open(path) as f:
        return {"record": _record_json(f.lookup(index, keep_limit=HEX_LIMIT))}


def op_open_info(req: dict) -> dict:
    path = _str(req, "path")
    with _open(path) as f:
        info = f.open_info()
    return {
        "blockSize": info.header.block_size,
        "fileId": f"{info.header.file_id:016x}",
        "baseIndex": str(info.header.base_index),
        "firstIndex": None if info.first_index is None else str(info.first_index),
        "lastIndex": None if info.last_index is None else str(info.last_index),
        "tail": _damage_json(info.tail),
    }


def _parse_operations(req: dict) -> list:
    ops = req.get("operations")
    if not isinstance(ops, list):
        raise BadRequest('"operations" must be a list')
    parsed = []
    for i, op in enumerate(ops):
        if not isinstance(op, dict):
            raise BadRequest(f"operation {i} must be an object")
        if "sync" in op:
            if op["sync"] is not True or len(op) != 1:
                raise BadRequest(f'operation {i}: a sync operation is exactly {{"sync":true}}')
            parsed.append(("sync",))
            continue
        try:
            type_code = _u64(op, "type")
            has_hex, has_repeat = "hex" in op, "repeat" in op
            if has_hex == has_repeat:
                raise BadRequest('exactly one of "hex" and "repeat" is required')
            if has_hex:
                payload = _hex(op, "hex")
            else:
                rep = op["repeat"]
                if not isinstance(rep, dict):
                    raise BadRequest('"repeat" must be an object')
                byte = _hex(rep, "byte") if "byte" in rep else b""
                if len(byte) != 1:
                    raise BadRequest('"repeat.byte" must be exactly one byte (two hex digits)')
                payload = lsfs.RepeatPayload(byte[0], _int(rep, "length"))
        except BadRequest as e:
            raise BadRequest(f"operation {i}: {e}") from None
        parsed.append(("record", type_code, payload))
    return parsed


def op_write(req: dict) -> dict:
    path = _str(req, "path")
    block_size = _int(req, "blockSize", default=lsfs.DEFAULT_BLOCK_SIZE)
    file_id = None
    if "fileId" in req:
        v = req["fileId"]
        if not isinstance(v, str) or not _FILE_ID_RE.match(v):
            raise BadRequest('"fileId" must be 16 lowercase hex digits')
        file_id = int(v, 16)
    base_index = _u64(req, "baseIndex", default=0)
    operations = _parse_operations(req)   # a malformed request creates nothing
    w = lsfs.Writer.create(path, block_size, file_id, base_index)
    try:
        for i, op in enumerate(operations):
            try:
                if op[0] == "sync":
                    w.sync()
                else:
                    w.append(op[1], op[2])
            except lsfs.LsfsError as e:
                e.operation = i
                raise
        size = w.size
    finally:
        w.close()
    return {"size": size}


OPS = {
    "hello": op_hello,
    "read": op_read,
    "lookup": op_lookup,
    "open-info": op_open_info,
    "write": op_write,
}


# ---------------------------------------------------------------------------------------------
# main loop
# ---------------------------------------------------------------------------------------------

def handle(line: bytes) -> tuple[dict, bool]:
    """Returns (response, stop)."""
    try:
        req = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return {"id": None, "ok": False,
                "error": _error_json(lsfs.INVALID_ARGUMENT, None, f"not a JSON line: {e}")}, False
    if not isinstance(req, dict):
        return {"id": None, "ok": False,
                "error": _error_json(lsfs.INVALID_ARGUMENT, None,
                                     "a request is a JSON object")}, False
    rid = req.get("id")
    op = req.get("op")
    if op == "shutdown":
        return {"id": rid, "ok": True}, True
    try:
        if not isinstance(op, str):
            raise BadRequest('"op" must be a string')
        fn = OPS.get(op)
        if fn is None:
            raise ProtocolFailure("UNSUPPORTED_OP", f"unknown op {op!r}")
        body = fn(req)
        resp = {"id": rid, "ok": True}
        resp.update(body)
        return resp, False
    except BadRequest as e:
        err = _error_json(lsfs.INVALID_ARGUMENT, None, str(e))
    except ProtocolFailure as e:
        err = _error_json(e.code, None, e.message)
    except lsfs.LsfsError as e:
        extra = {"operation": e.operation} if hasattr(e, "operation") else {}
        err = _error_json(e.code, e.offset, e.message, **extra)
    except OSError as e:
        err = _error_json(lsfs.IO_ERROR, None, str(e))
    except Exception as e:  # a bug in this testee: report it, keep serving
        traceback.print_exc(file=sys.stderr)
        err = _error_json("INTERNAL_ERROR", None, f"{type(e).__name__}: {e}")
    return {"id": rid, "ok": False, "error": err}, False


def main() -> int:
    out = sys.stdout.buffer
    sys.stdout = sys.stderr          # nothing but responses may reach the real stdout
    inp = sys.stdin.buffer
    while True:
        line = inp.readline()
        if not line:
            return 0                 # EOF: the runner is gone
        if not line.strip():
            continue
        resp, stop = handle(line)
        out.write(json.dumps(resp, separators=(",", ":"), ensure_ascii=True).encode("ascii")
                  + b"\n")
        out.flush()
        if stop:
            return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (BrokenPipeError, KeyboardInterrupt):
        sys.exit(0)

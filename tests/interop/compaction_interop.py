#!/usr/bin/python3
"""Checks samsa's compacted (cleaned) batches with kafka-python's own decoder.

compaction_interop_tool writes, for each codec, every batch a compacted log
holds after one cleaning pass over records made by record_rule(). This script
derives from the rule alone which records compaction must keep (the last
record of each key; tombstones stay on a first pass), then parses the bytes
with kafka-python's DefaultRecordBatch and checks: every batch's CRC, magic,
codec; that batches which lost records still carry their original base offset
and lastOffsetDelta (as Kafka's cleaner keeps them); and that the records read
are exactly the expected ones, at their original offsets, with their keys,
values and timestamps.
"""
import os
import struct
import subprocess
import sys
import tempfile

from kafka.codec import has_gzip, has_lz4, has_snappy, has_zstd
from kafka.record.default_records import DefaultRecordBatch

BASE_TS = 1700000000000
NUM_RECORDS = 120
PER_BATCH = 6
CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}

failures = []


def fail(message):
    failures.append(message)
    print("FAIL " + message)


def record_rule(i):
    key = ("u%d" % i) if i % 9 == 4 else ("k%d" % (i % 7))
    value = None if i % 13 == 6 else ("value-%d-" % i) + "x" * (i % 17)
    return key.encode(), (value.encode() if value is not None else None), BASE_TS + i


def expected_records():
    last = {}
    for i in range(NUM_RECORDS):
        key, _, _ = record_rule(i)
        last[key] = i
    kept = sorted(last.values())
    return [(i,) + record_rule(i) for i in kept]


def split_batches(data):
    pos = 0
    while pos < len(data):
        (length,) = struct.unpack_from(">i", data, pos + 8)
        yield data[pos:pos + 12 + length]
        pos += 12 + length


def check_codec(name, data):
    got = []
    partial = 0
    for raw in split_batches(data):
        batch = DefaultRecordBatch(bytes(raw))
        if not batch.validate_crc():
            fail("%s: batch at offset %d: bad CRC" % (name, batch.base_offset))
        if batch.magic != 2:
            fail("%s: batch at offset %d: magic %d" % (name, batch.base_offset, batch.magic))
        if batch.compression_type != CODECS[name]:
            fail("%s: batch at offset %d: codec %d" % (name, batch.base_offset, batch.compression_type))
        # The batches were appended PER_BATCH records at a time from offset 0:
        # a cleaned batch keeps its original base offset and last offset.
        if batch.base_offset % PER_BATCH != 0:
            fail("%s: batch base offset %d is not an original one" % (name, batch.base_offset))
        original_last = min(PER_BATCH, NUM_RECORDS - batch.base_offset) - 1
        if batch.last_offset_delta != original_last:
            fail("%s: batch at offset %d: lastOffsetDelta %d, the original was %d" % (
                name, batch.base_offset, batch.last_offset_delta, original_last))
        records = list(batch)
        if len(records) < original_last + 1:
            partial += 1
        for r in records:
            if not batch.base_offset <= r.offset <= batch.base_offset + batch.last_offset_delta:
                fail("%s: record offset %d outside its batch" % (name, r.offset))
            got.append((r.offset, r.key, r.value, r.timestamp))
    want = expected_records()
    if got != want:
        fail("%s: kafka-python read %d records, expected %d; first difference: %s" % (
            name, len(got), len(want),
            next(((g, w) for g, w in zip(got, want) if g != w), "(lengths differ)")))
    if partial == 0:
        fail("%s: no batch was partially filtered; the test proves nothing" % name)
    if not [f for f in failures if f.startswith(name + ":")]:
        print("ok %s: %d records in %d bytes, %d rewritten batches, all as kafka-python reads them"
              % (name, len(got), len(data), partial))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: compaction_interop.py PATH/TO/compaction_interop_tool")
    missing = [n for n, has in (("gzip", has_gzip), ("snappy", has_snappy), ("lz4", has_lz4),
                                ("zstd", has_zstd)) if not has()]
    if missing:
        sys.exit("FAIL: kafka-python lacks codec libraries for " + ", ".join(missing))
    with tempfile.TemporaryDirectory(prefix="samsa-compaction-interop-") as tmp:
        subprocess.run([sys.argv[1], tmp], check=True)
        for name in CODECS:
            with open(os.path.join(tmp, name + ".bin"), "rb") as f:
                check_codec(name, f.read())
    if failures:
        sys.exit("FAIL: %d mismatches (see above)" % len(failures))
    print("PASS: kafka-python reads samsa's compacted batches as compaction must leave them")


if __name__ == "__main__":
    main()

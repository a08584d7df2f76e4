#!/usr/bin/python3
"""Cross-checks `samsa dump-log --print-data-log` against kafka-python.

Writes a partition with samsa (dump_log_fixture), then, for every segment,
derives the lines Kafka's DumpLogSegments prints from kafka-python's own batch
decoder (kafka.record.default_records.DefaultRecordBatch) — an implementation
independent of ours — and compares them with what `samsa dump-log` printed.

usage: dump_log_interop.py DUMP_LOG_FIXTURE SAMSA_CLI
"""
import os
import struct
import subprocess
import sys
import tempfile

try:
    from kafka.record.default_records import DefaultRecordBatch
except ImportError as e:  # the test must fail, not skip: install-deps installs it
    sys.exit(f"kafka-python is not importable by {sys.executable}: {e}")

CODECS = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}
TS_TYPES = {0: "CreateTime", 1: "LogAppendTime"}


def seq(base, delta):
    if base < 0:
        return -1
    s = base + delta
    return s - 2**31 if s > 2**31 - 1 else s


def expected_lines(path):
    data = open(path, "rb").read()
    start = int(os.path.basename(path).split(".")[0])
    lines = [f"Dumping {path}", f"Log starting offset: {start}"]
    pos = 0
    while pos < len(data):
        (length,) = struct.unpack_from(">i", data, pos + 8)
        size = 12 + length
        batch = DefaultRecordBatch(data[pos:pos + size])
        (base_offset, _, leader_epoch, magic, crc, attributes, last_delta, _first_ts,
         max_ts, producer_id, producer_epoch, base_seq, count) = batch._header_data
        ts_type = TS_TYPES[batch.timestamp_type]
        lines.append(
            f"baseOffset: {base_offset} lastOffset: {base_offset + last_delta} count: {count} "
            f"baseSequence: {base_seq} lastSequence: {seq(base_seq, last_delta)} "
            f"producerId: {producer_id} producerEpoch: {producer_epoch} "
            f"partitionLeaderEpoch: {leader_epoch} "
            f"isTransactional: {str(batch.is_transactional).lower()} "
            f"isControl: {str(batch.is_control_batch).lower()} "
            f"deleteHorizonMs: OptionalLong.empty position: {pos} {ts_type}: {max_ts} "
            f"size: {size} magic: {magic} compresscodec: {CODECS[batch.compression_type]} "
            f"crc: {crc} isvalid: {str(batch.validate_crc()).lower()}")
        for rec in batch:
            key, value = rec.key, rec.value
            line = (f"| offset: {rec.offset} {ts_type}: {rec.timestamp} "
                    f"keySize: {-1 if key is None else len(key)} "
                    f"valueSize: {-1 if value is None else len(value)} "
                    f"sequence: {seq(base_seq, rec.offset - base_offset)} "
                    f"headerKeys: [{','.join(k for k, _ in rec.headers)}]")
            if value is not None:
                if key is not None:
                    line += f" key: {key.decode()}"
                line += f" payload: {value.decode()}"
            lines.append(line)
        pos += size
    return lines


def main():
    fixture, cli = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        part = os.path.join(tmp, "dump-0")
        subprocess.run([fixture, part], check=True)
        logs = sorted(os.path.join(part, f) for f in os.listdir(part) if f.endswith(".log"))
        if len(logs) < 2:
            sys.exit(f"expected several segments, found {logs}")
        batches = 0
        for path in logs:
            got = subprocess.run([cli, "dump-log", "--files", path, "--print-data-log"],
                                 check=True, capture_output=True, text=True).stdout.splitlines()
            want = expected_lines(path)
            batches += sum(1 for line in want if line.startswith("baseOffset:"))
            if got != want:
                for i, (g, w) in enumerate(zip(got, want)):
                    if g != w:
                        sys.exit(f"{path} line {i} differs:\n samsa:        {g}\n kafka-python: {w}")
                sys.exit(f"{path}: samsa printed {len(got)} lines, expected {len(want)}")
        print(f"dump-log matches kafka-python's decoding of {batches} batches in {len(logs)} segments")


if __name__ == "__main__":
    main()

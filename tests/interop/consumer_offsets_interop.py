#!/usr/bin/python3
"""__consumer_offsets as Kafka's tools would read it, checked with kafka-python.

A group commits through the real `samsa` binary (`samsa consume --group`); this
script then reads the __consumer_offsets segment files with kafka-python's
record decoder (MemoryRecords) and decodes keys and values with kafka-python's
protocol types following Kafka's schemas (OffsetCommitKey/Value,
GroupMetadataKey), finds the group's partition with its own Java
String.hashCode, and expects the committed offset there.

usage: consumer_offsets_interop.py <path to samsa>
"""
import os
import subprocess
import sys
import tempfile

try:
    from kafka.record.memory_records import MemoryRecords
    from kafka.protocol.types import Int16, Int32, Int64, String, Schema
except ImportError as e:  # CI installs python3-kafka: fail, do not skip
    print(f"FAIL: kafka-python is missing ({e}); install python3-kafka", file=sys.stderr)
    sys.exit(1)

from io import BytesIO

OFFSET_COMMIT_KEY = Schema(("group", String("utf-8")), ("topic", String("utf-8")),
                           ("partition", Int32))
GROUP_METADATA_KEY = Schema(("group", String("utf-8")))
OFFSET_COMMIT_VALUE = {
    0: Schema(("offset", Int64), ("metadata", String("utf-8")), ("commit_timestamp", Int64)),
    1: Schema(("offset", Int64), ("metadata", String("utf-8")), ("commit_timestamp", Int64),
              ("expire_timestamp", Int64)),
    2: Schema(("offset", Int64), ("metadata", String("utf-8")), ("commit_timestamp", Int64)),
    3: Schema(("offset", Int64), ("leader_epoch", Int32), ("metadata", String("utf-8")),
              ("commit_timestamp", Int64)),
}


def java_hash(s):
    h = 0
    data = s.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + int.from_bytes(data[i:i + 2], "big")) & 0xFFFFFFFF
    return h - (1 << 32) if h >= (1 << 31) else h


def partition_for(group, n):
    return (java_hash(group) & 0x7FFFFFFF) % n  # Kafka's Utils.abs, then modulo


def records_of(path):
    with open(path, "rb") as f:
        data = f.read()
    records = MemoryRecords(data)
    while records.has_next():
        batch = records.next_batch()
        for r in batch:
            yield r


def fail(why):
    print("FAIL: " + why, file=sys.stderr)
    sys.exit(1)


def main():
    samsa = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        logs = os.path.join(tmp, "kafka-logs")
        subprocess.run([samsa, "produce", "--log-dir", logs, "--topic", "orders"],
                       input=b"a\nb\nc\n", check=True)
        out = subprocess.run([samsa, "consume", "--log-dir", logs, "--topic", "orders",
                              "--group", "billing", "--from-beginning", "--max-messages", "2",
                              "--timeout-ms", "5000"],
                             check=True, capture_output=True).stdout
        if out != b"a\nb\n":
            fail(f"consume printed {out!r}")
        want = partition_for("billing", 50)
        found_commit = None
        found_group = False
        for p in range(50):
            d = os.path.join(logs, f"__consumer_offsets-{p}")
            if not os.path.isdir(d):
                fail(f"{d} missing: offsets.topic.num.partitions is 50")
            for name in sorted(os.listdir(d)):
                if not name.endswith(".log"):
                    continue
                for r in records_of(os.path.join(d, name)):
                    key = BytesIO(r.key)
                    version = Int16.decode(key)
                    if version in (0, 1):
                        group, topic, partition = OFFSET_COMMIT_KEY.decode(key)
                        if p != want:
                            fail(f"offset of {group} in partition {p}, expected {want}")
                        if r.value is None:
                            continue
                        value = BytesIO(r.value)
                        v = Int16.decode(value)
                        fields = OFFSET_COMMIT_VALUE[v].decode(value)
                        if (group, topic, partition) == ("billing", "orders", 0):
                            found_commit = (v, fields)
                    elif version == 2:
                        (group,) = GROUP_METADATA_KEY.decode(key)
                        if group == "billing":
                            found_group = True
                            if p != want:
                                fail(f"group metadata in partition {p}, expected {want}")
                    else:
                        fail(f"unknown key version {version}")
        if found_commit is None:
            fail("no committed offset for billing/orders-0 in __consumer_offsets")
        version, fields = found_commit
        if fields[0] != 2:
            fail(f"committed offset {fields[0]}, expected 2 (after the two records printed)")
        if not found_group:
            fail("no GroupMetadata record for billing")
        print(f"ok: billing/orders-0 committed offset {fields[0]} (value v{version}) "
              f"in __consumer_offsets-{want}")


if __name__ == "__main__":
    main()

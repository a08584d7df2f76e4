#!/usr/bin/python3
"""Record-batch interoperability between samsa and kafka-python (Debian's
python3-kafka), in both directions, for every codec.

  usage: /usr/bin/python3 kafka_python_interop.py PATH/TO/interop_tool

(a) samsa -> kafka-python: `interop_tool write DIR` writes batches; this script
    decodes them with kafka.record.default_records.DefaultRecordBatch and
    checks the CRC, every header field against DIR/manifest.txt, and every
    record against record_rule() below.
(b) kafka-python -> samsa: this script builds batches with
    DefaultRecordBatchBuilder from record_rule() and runs `interop_tool read`
    on each, which checks every field.
(c) The uncompressed batches of (a) and (b) must be byte-identical from the
    magic on.
It also checks that both checkers notice a deliberately wrong batch, so a
checker that accepts anything cannot make the test pass.

record_rule() mirrors Rule() in interop_tool.cc; keep them in step.

Exits non-zero with a message on any mismatch, and also when kafka-python or
one of its codec libraries cannot be imported: a missing dependency must fail
the test, not skip it (scripts/install-deps installs python3-kafka,
python3-snappy, python3-lz4 and python3-zstandard).
"""

import os
import struct
import subprocess
import sys
import tempfile

try:
    from kafka import codec as kafka_codec
    from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder
    from kafka.record.util import calc_crc32c
except ImportError as e:  # pragma: no cover - the failure path is the point
    sys.exit("FAIL: /usr/bin/python3 cannot import kafka-python ({}); "
             "install python3-kafka (scripts/install-deps)".format(e))

BASE_TS = 1700000000000
NUM_RECORDS = 50
HEADER = struct.Struct(">qiibIhiqqqhii")  # Kafka's v2 batch header, 61 bytes
assert HEADER.size == 61

CODECS = {
    "none": DefaultRecordBatch.CODEC_NONE,
    "gzip": DefaultRecordBatch.CODEC_GZIP,
    "snappy": DefaultRecordBatch.CODEC_SNAPPY,
    "lz4": DefaultRecordBatch.CODEC_LZ4,
    "zstd": DefaultRecordBatch.CODEC_ZSTD,
}
assert list(CODECS.values()) == [0, 1, 2, 3, 4]

failures = []


def fail(message):
    failures.append(message)
    print("MISMATCH " + message, file=sys.stderr)


def record_rule(i):
    """(timestamp, key, value, headers) of record i; see interop_tool.cc."""
    timestamp = BASE_TS + 13 * i + (17 if i % 5 == 2 else 0)
    if i % 7 == 0:
        key = None
    elif i == 3:
        key = b""
    else:
        key = "key-{}".format(i).encode()
    if i % 11 == 5:
        value = None
    elif i == 1:
        value = b""
    elif i == 20:
        value = bytes((31 * j + i) % 251 for j in range(100 * 1024))
    else:
        value = ("value-{}-".format(i).encode() + bytes([i, 0, 255])) * (i % 5 + 1)
    if i % 3 == 0:
        headers = []
    elif i % 3 == 1:
        headers = [("h1", b"x" * i)]
    else:
        headers = [("h1", None), ("clé-ü-日本", bytes([0, 255, i]))]
    return timestamp, key, value, headers


RULE = [record_rule(i) for i in range(NUM_RECORDS)]


def short(v):
    if not isinstance(v, (bytes, bytearray)) or len(v) <= 40:
        return repr(v)
    return "{!r}...({} bytes)".format(v[:40], len(v))


def check_requirements():
    missing = [name for name, has in (("gzip", kafka_codec.has_gzip), ("snappy", kafka_codec.has_snappy),
                                      ("lz4", kafka_codec.has_lz4), ("zstd", kafka_codec.has_zstd))
               if not has()]
    if missing:
        sys.exit("FAIL: kafka-python lacks codec libraries for {} (install python3-snappy, "
                 "python3-lz4, python3-zstandard)".format(", ".join(missing)))


# --- (a) samsa -> kafka-python -----------------------------------------------------------

def verify_samsa_batch(name, data, expect):
    """Decodes one samsa batch with kafka-python; returns the mismatches."""
    errors = []

    def eq(what, got, want):
        if got != want:
            errors.append("{} {}: got {}, want {}".format(name, what, short(got), short(want)))

    header = HEADER.unpack_from(data)
    (base_offset, length, ple, magic, crc, attributes, last_offset_delta, first_ts, max_ts,
     producer_id, producer_epoch, base_sequence, count) = header
    batch = DefaultRecordBatch(bytes(data))
    # kafka-python's own view of the header must agree with the raw bytes.
    eq("kafka-python header", tuple(batch._header_data), header)
    eq("validate_crc()", batch.validate_crc(), True)
    eq("batchLength", length, len(data) - 12)
    eq("magic", batch.magic, 2)
    eq("crc", batch.crc, calc_crc32c(bytes(data[21:])))
    eq("compression_type", batch.compression_type, CODECS[expect["codec"]])
    eq("timestamp_type", batch.timestamp_type, int(expect["timestamp_type"]))
    eq("is_transactional", batch.is_transactional, expect["transactional"] == "1")
    eq("is_control_batch", batch.is_control_batch, False)
    eq("base_offset", batch.base_offset, int(expect["base_offset"]))
    eq("partitionLeaderEpoch", ple, int(expect["partition_leader_epoch"]))
    eq("producerId", producer_id, int(expect["producer_id"]))
    eq("producerEpoch", producer_epoch, int(expect["producer_epoch"]))
    eq("baseSequence", base_sequence, int(expect["base_sequence"]))
    eq("recordsCount", count, NUM_RECORDS)
    step = int(expect["offset_step"])
    eq("last_offset_delta", batch.last_offset_delta, (NUM_RECORDS - 1) * step)
    eq("first_timestamp", batch.first_timestamp, RULE[0][0])
    eq("max_timestamp", batch.max_timestamp, int(expect["max_timestamp"]))
    if expect["timestamp_type"] == "0":
        eq("max_timestamp (from records)", max_ts, max(r[0] for r in RULE))
    try:
        records = list(batch)
    except Exception as e:  # CorruptRecordException, decompression errors
        errors.append("{}: kafka-python cannot read the records: {!r}".format(name, e))
        return errors
    eq("number of records", len(records), NUM_RECORDS)
    for i, (rec, want) in enumerate(zip(records, RULE)):
        timestamp, key, value, headers = want
        at = "record {} ".format(i)
        eq(at + "offset", rec.offset, int(expect["base_offset"]) + i * step)
        if expect["timestamp_type"] == "1":
            eq(at + "timestamp (LogAppendTime)", rec.timestamp, int(expect["max_timestamp"]))
        else:
            eq(at + "timestamp", rec.timestamp, timestamp)
        eq(at + "timestamp_type", rec.timestamp_type, int(expect["timestamp_type"]))
        eq(at + "key", rec.key, key)
        eq(at + "value", rec.value, value)
        eq(at + "headers", rec.headers, headers)
    return errors


def read_manifest(path):
    entries = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            entries.append((parts[0], dict(p.split("=", 1) for p in parts[1:])))
    return entries


def samsa_to_kafka_python(tool, tmp):
    out = os.path.join(tmp, "samsa")
    os.mkdir(out)
    subprocess.run([tool, "write", out], check=True)
    entries = read_manifest(os.path.join(out, "manifest.txt"))
    names = {name for name, _ in entries}
    for codec in CODECS:
        for name in (codec, codec + "-gaps-logappendtime"):
            if name not in names:
                fail("samsa wrote no batch named {}".format(name))
    for name, expect in entries:
        with open(os.path.join(out, name + ".bin"), "rb") as f:
            data = f.read()
        errors = verify_samsa_batch(name, data, expect)
        for e in errors:
            fail("samsa -> kafka-python: " + e)
        if not errors:
            print("ok samsa -> kafka-python: {} ({} bytes)".format(name, len(data)))

    # Self-check: the verifier must notice damage. Change one value byte in the
    # uncompressed batch and fix the CRC (so it is not just the CRC that fails).
    name, expect = next(e for e in entries if e[0] == "none")
    with open(os.path.join(out, "none.bin"), "rb") as f:
        damaged = bytearray(f.read())
    at = damaged.find(b"value-12-")
    damaged[at + 6] ^= 0x01
    struct.pack_into(">I", damaged, 17, calc_crc32c(bytes(damaged[21:])))
    if not verify_samsa_batch("damaged none", damaged, expect):
        fail("self-check: the kafka-python side accepted a batch with a changed value")
    # And a wrong expectation of a header field.
    wrong = dict(expect, producer_id="8")
    with open(os.path.join(out, "none.bin"), "rb") as f:
        if not verify_samsa_batch("none with a wrong expectation", f.read(), wrong):
            fail("self-check: the kafka-python side accepted a wrong producer id")


# --- (b) kafka-python -> samsa -----------------------------------------------------------

def build_python_batch(codec, offset_step, producer_id, producer_epoch, base_sequence, transactional):
    builder = DefaultRecordBatchBuilder(
        magic=2, compression_type=CODECS[codec], is_transactional=int(transactional),
        producer_id=producer_id, producer_epoch=producer_epoch, base_sequence=base_sequence,
        batch_size=1 << 20)
    for i, (timestamp, key, value, headers) in enumerate(RULE):
        if builder.append(i * offset_step, timestamp, key, value, headers) is None:
            sys.exit("FAIL: kafka-python refused record {} (batch_size)".format(i))
    data = bytearray(builder.build())
    # kafka-python quietly sends uncompressed when compressing does not help:
    # make sure the codec under test was really used.
    if DefaultRecordBatch(bytes(data)).compression_type != CODECS[codec]:
        fail("kafka-python did not compress with {}; the record set must compress".format(codec))
    return data


def run_read(tool, path, expect):
    args = [tool, "read", path] + ["{}={}".format(k, v) for k, v in sorted(expect.items())]
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kafka_python_to_samsa(tool, tmp):
    out = os.path.join(tmp, "kafka-python")
    os.mkdir(out)
    max_ts = max(r[0] for r in RULE)
    plain_expect = None
    for codec in CODECS:
        variants = []
        # As a producer writes it: base offset 0, partition leader epoch 0.
        plain = build_python_batch(codec, 1, -1, -1, -1, False)
        variants.append(("plain", plain, dict(
            codec=codec, base_offset=0, offset_step=1, records=NUM_RECORDS, producer_id=-1,
            producer_epoch=-1, base_sequence=-1, transactional=0, timestamp_type=0,
            max_timestamp=max_ts, partition_leader_epoch=0)))
        # Idempotent and transactional.
        idem = build_python_batch(codec, 1, 7, 3, 11, True)
        variants.append(("producer", idem, dict(
            codec=codec, base_offset=0, offset_step=1, records=NUM_RECORDS, producer_id=7,
            producer_epoch=3, base_sequence=11, transactional=1, timestamp_type=0,
            max_timestamp=max_ts, partition_leader_epoch=0)))
        # Offset gaps, then what a broker does: assign the base offset and the
        # leader epoch (outside the CRC) and stamp LogAppendTime (CRC recomputed
        # with kafka-python's own calc_crc32c).
        edited = build_python_batch(codec, 3, 123456789012, 32000, 2000000000, False)
        struct.pack_into(">q", edited, 0, 5000)
        struct.pack_into(">i", edited, 12, 9)
        attributes = struct.unpack_from(">h", edited, 21)[0] | DefaultRecordBatch.TIMESTAMP_TYPE_MASK
        struct.pack_into(">h", edited, 21, attributes)
        struct.pack_into(">q", edited, 35, 1800000000999)
        struct.pack_into(">I", edited, 17, calc_crc32c(bytes(edited[21:])))
        variants.append(("gaps-logappendtime", edited, dict(
            codec=codec, base_offset=5000, offset_step=3, records=NUM_RECORDS,
            producer_id=123456789012, producer_epoch=32000, base_sequence=2000000000,
            transactional=0, timestamp_type=1, max_timestamp=1800000000999,
            partition_leader_epoch=9)))
        for label, data, expect in variants:
            path = os.path.join(out, "{}-{}.bin".format(codec, label))
            with open(path, "wb") as f:
                f.write(data)
            result = run_read(tool, path, expect)
            if result.returncode != 0:
                fail("kafka-python -> samsa: {} {}: interop_tool read exited {}:\n{}{}".format(
                    codec, label, result.returncode, result.stdout, result.stderr))
            else:
                print("ok kafka-python -> samsa: {} {} ({} bytes)".format(codec, label, len(data)))
            if codec == "none" and label == "plain":
                plain_expect = (path, expect, data)

    # Self-checks: interop_tool read must refuse a wrong expectation and a
    # changed value (CRC fixed, so only the record comparison can notice).
    path, expect, data = plain_expect
    if run_read(tool, path, dict(expect, producer_id=8)).returncode == 0:
        fail("self-check: interop_tool read accepted a wrong producer id")
    damaged = bytearray(data)
    at = damaged.find(b"key-13")
    damaged[at + 5] ^= 0x01  # key-13 -> key-12
    struct.pack_into(">I", damaged, 17, calc_crc32c(bytes(damaged[21:])))
    damaged_path = os.path.join(out, "damaged.bin")
    with open(damaged_path, "wb") as f:
        f.write(damaged)
    if run_read(tool, damaged_path, expect).returncode == 0:
        fail("self-check: interop_tool read accepted a batch with a changed key")


# --- (c) byte identity --------------------------------------------------------------------

def compare_uncompressed(tmp):
    """Uncompressed, the two encoders must agree byte for byte on everything
    from the magic on (the CRC included); only baseOffset and
    partitionLeaderEpoch, which a broker assigns, differ."""
    with open(os.path.join(tmp, "samsa", "none.bin"), "rb") as f:
        ours = f.read()
    with open(os.path.join(tmp, "kafka-python", "none-plain.bin"), "rb") as f:
        theirs = f.read()
    if len(ours) != len(theirs):
        fail("uncompressed batches differ in size: samsa {}, kafka-python {}".format(len(ours), len(theirs)))
    elif ours[8:12] != theirs[8:12] or ours[16:] != theirs[16:]:
        first = next(i for i in range(8, len(ours)) if ours[i] != theirs[i] and not 12 <= i < 16)
        fail("uncompressed batches differ first at byte {}: samsa {}, kafka-python {}".format(
            first, ours[first:first + 8].hex(), theirs[first:first + 8].hex()))
    else:
        print("ok uncompressed batches are byte-identical from the magic on ({} bytes)".format(len(ours)))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: kafka_python_interop.py PATH/TO/interop_tool")
    tool = sys.argv[1]
    check_requirements()
    with tempfile.TemporaryDirectory(prefix="samsa-interop-") as tmp:
        samsa_to_kafka_python(tool, tmp)
        kafka_python_to_samsa(tool, tmp)
        compare_uncompressed(tmp)
    if failures:
        sys.exit("FAIL: {} interop mismatches (see above)".format(len(failures)))
    print("PASS: samsa and kafka-python read each other's batches for every codec")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Old clients against samsa-server: the legacy message format (magic 0 and
1) that Produce v0-2 carry and Fetch v0-3 answer with. samsa stores magic-2
batches only and converts, as a Kafka 3.x broker does.

  usage: /usr/bin/python3 wire_legacy.py PATH/TO/samsa-server

Independent implementations of the old format write and read it:
1. kafka-python 2.0.2 pinned to api_version (0, 9) (Produce v1 with magic 0,
   Fetch v1, ListOffsets v0) and (0, 10, 1) (Produce v2 with magic 1, Fetch
   v3): keyed records through every codec it has for that format come back
   identical, at offsets 0..n-1, to the old client and to a current one
   (magic 0 records have no timestamp: -1; magic 1 keep theirs); a current
   producer's records, headers and all, reach the old consumers (headers
   dropped, as the old format has none); auto_offset_reset latest and a
   consumer group with committed offsets work at (0, 9).
2. Raw requests whose message sets kafka-python's LegacyRecordBatchBuilder
   builds: a good set stores, a bad CRC is CORRUPT_MESSAGE (2), a
   producer's LogAppendTime attribute INVALID_TIMESTAMP (32) and an entry
   past max.message.bytes MESSAGE_TOO_LARGE (10), nothing stored; no
   records append nothing (offset -1);
   ListOffsets v0 answers old_style_offsets as Kafka's
   legacyFetchOffsetsBefore does (timestamp -3 UNSUPPORTED_VERSION); a topic with
   message.downconversion.enable=false answers Fetch v1 UNSUPPORTED_VERSION
   (35).
3. kcat (librdkafka) with api.version.request=false and
   broker.version.fallback 0.9.0.1 (magic 0) and 0.10.2.1 (magic 1):
   keyed lines through every codec, produced and consumed back identical.
Fails (not skips) when a client is missing.
"""

import shutil
import struct
import subprocess
import sys
import time
import zlib

from kafka import KafkaAdminClient, KafkaClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.protocol.fetch import FetchRequest
from kafka.protocol.offset import OffsetRequest
from kafka.protocol.produce import ProduceRequest
from kafka.record.legacy_records import LegacyRecordBatchBuilder

import samsa_server
from samsa_server import check

SERVER = sys.argv[1]
KCAT = shutil.which("kcat") or shutil.which("kafkacat")
N = 40


def create(bootstrap, topic, configs=None):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1,
                                  topic_configs=configs or {})])
    admin.close()


def take(consumer, n):
    """Up to n records; stops early at n (consumer_timeout_ms caps a wait)."""
    records = []
    for r in consumer:
        records.append(r)
        if len(records) == n:
            break
    return records


def read_all(bootstrap, topic, n=N, **kw):
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             consumer_timeout_ms=5000, **kw)
    consumer.assign([TopicPartition(topic, 0)])
    records = take(consumer, n)
    consumer.close()
    return records


def old_clients(bootstrap):
    for api, codecs, magic in (((0, 9), (None, "gzip", "snappy", "lz4"), 0),
                               ((0, 10, 1), (None, "gzip", "snappy", "lz4"), 1)):
        for codec in codecs:
            topic = "old-%d-%s" % (magic, codec or "none")
            what = "kafka-python api_version %s, magic %d, %s" % (api, magic, codec or "uncompressed")
            create(bootstrap, topic)
            producer = KafkaProducer(bootstrap_servers=bootstrap, api_version=api,
                                     compression_type=codec, linger_ms=20)
            futures = [producer.send(topic, key=b"k%d" % i if i % 3 else None, value=b"value-%d" % i,
                                     partition=0) for i in range(N)]
            offsets = [f.get(timeout=10).offset for f in futures]
            producer.close()
            check(offsets == list(range(N)), "%s: acknowledged at offsets 0..%d" % (what, N - 1))
            sent = [(b"k%d" % i if i % 3 else None, b"value-%d" % i) for i in range(N)]
            old = read_all(bootstrap, topic, api_version=api)
            check([(r.key, r.value) for r in old] == sent and [r.offset for r in old] == list(range(N)),
                  "%s: the same client reads every record back" % what)
            new = read_all(bootstrap, topic)
            check([(r.key, r.value) for r in new] == sent, "%s: a current client reads them too" % what)
            if magic == 0:
                check(all(r.timestamp == -1 for r in new), "%s: records have no timestamp (-1)" % what)
            else:
                check(all(r.timestamp > 0 for r in new) and
                      [r.timestamp for r in new] == [r.timestamp for r in old],
                      "%s: timestamps kept, the same for both clients" % what)

    # A current producer's batch (headers, zstd aside) read by old consumers.
    topic = "from-new"
    create(bootstrap, topic)
    producer = KafkaProducer(bootstrap_servers=bootstrap, compression_type="gzip", linger_ms=20)
    for i in range(N):
        producer.send(topic, key=b"k%d" % i, value=b"v%d" % i, headers=[("h", b"x")], partition=0)
    producer.flush()
    producer.close()
    for api in ((0, 9), (0, 10, 1)):
        got = read_all(bootstrap, topic, api_version=api)
        check([(r.key, r.value, r.offset) for r in got] == [(b"k%d" % i, b"v%d" % i, i) for i in range(N)],
              "a current producer's gzip batch, read at api_version %s" % (api,))
    # From the middle of an uncompressed batch: offsets below the fetch
    # offset are left out of the conversion.
    topic = "middle"
    create(bootstrap, topic)
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=50)
    for i in range(N):
        producer.send(topic, value=b"m%d" % i, partition=0)
    producer.flush()
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, api_version=(0, 10, 1), consumer_timeout_ms=5000)
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek(tp, 25)
    got = [r.offset for r in take(consumer, N - 25)]
    consumer.close()
    check(got == list(range(25, N)), "an old consumer seeking into a batch reads from there (%s..)" % got[:1])

    # auto_offset_reset=latest through ListOffsets v0, and a group at (0, 9).
    topic = "old-0-none"
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, api_version=(0, 9), auto_offset_reset="latest",
                             consumer_timeout_ms=1000)
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    check(consumer.position(tp) == N, "api_version (0, 9): latest is the log end (%s)" % consumer.position(tp))
    consumer.close()
    group = KafkaConsumer(topic, bootstrap_servers=bootstrap, api_version=(0, 9), group_id="old-group",
                          auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=5000)
    first = [r.offset for r in take(group, N)][:10]
    group.commit({tp: __import__("kafka").OffsetAndMetadata(10, "")})
    group.close()
    again = KafkaConsumer(topic, bootstrap_servers=bootstrap, api_version=(0, 9), group_id="old-group",
                          auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=5000)
    rest = [r.offset for r in take(again, N - 10)]
    again.close()
    check(first == list(range(10)) and rest == list(range(10, N)),
          "api_version (0, 9) group: resumes at its committed offset (%s..)" % rest[:1])


def legacy_set(magic, values, mutate=None):
    builder = LegacyRecordBatchBuilder(magic=magic, compression_type=0, batch_size=1 << 20)
    for i, v in enumerate(values):
        builder.append(i, timestamp=int(time.time() * 1000) if magic else None, key=None, value=v)
    data = bytearray(builder.build())
    if mutate:
        mutate(data)
    return bytes(data)


def raw(bootstrap):
    create(bootstrap, "raw")
    create(bootstrap, "noconv", {"message.downconversion.enable": "false"})
    create(bootstrap, "small", {"max.message.bytes": "100"})
    client = KafkaClient(bootstrap_servers=bootstrap)
    node = 0
    while not client.ready(node):
        client.poll(timeout_ms=100)

    def call(request):
        future = client.send(node, request)
        client.poll(future=future, timeout_ms=10000)
        return future.value

    def produce(version, records, topic="raw"):
        response = call(ProduceRequest[version](required_acks=-1, timeout=10000,
                                                topics=[(topic, [(0, records)])]))
        (_, partitions), = response.topics
        return partitions[0][1], partitions[0][2]  # error, base offset

    check(produce(0, legacy_set(0, [b"a", b"b"])) == (0, 0), "Produce v0, magic 0: stored at offset 0")
    check(produce(2, legacy_set(1, [b"c"])) == (0, 2), "Produce v2, magic 1: stored at offset 2")

    def bad_crc(data):
        data[-1] ^= 0xFF  # the last value byte of the last entry
    check(produce(2, legacy_set(1, [b"d", b"e"], bad_crc))[0] == 2, "a bad CRC is CORRUPT_MESSAGE")

    def log_append_time(data):
        data[17] |= 0x08  # attributes of the first entry (offset 8, size 4, crc 4, magic 1)
        crc = zlib.crc32(bytes(data[16:12 + struct.unpack(">i", bytes(data[8:12]))[0]]))
        data[12:16] = struct.pack(">I", crc)
    check(produce(2, legacy_set(1, [b"f"], log_append_time))[0] == 32,
          "a producer's LogAppendTime attribute is INVALID_TIMESTAMP")
    check(produce(2, b"") == (0, -1), "Produce v2 with no records appends nothing: offset -1")
    values = [r.value for r in read_all(bootstrap, "raw", 3)]
    check(values == [b"a", b"b", b"c"], "only the good sets were stored (%s)" % values)
    # max.message.bytes holds for each entry of an old set, as for a batch.
    check(produce(2, legacy_set(1, [b"x" * 200]), "small")[0] == 10,
          "an entry past max.message.bytes is MESSAGE_TOO_LARGE")
    check(produce(2, legacy_set(1, [b"x" * 20]), "small") == (0, 0), "a smaller one is stored")

    # ListOffsets v0: latest is [log end, 0] for one non-empty segment,
    # earliest [0], and max_num_offsets caps the list.
    def offsets(timestamp, max_num):
        response = call(OffsetRequest[0](replica_id=-1, topics=[("raw", [(0, timestamp, max_num)])]))
        (_, partitions), = response.topics
        return partitions[0][1], list(partitions[0][2])
    check(offsets(-1, 10) == (0, [3, 0]), "ListOffsets v0 latest: [3, 0] (%s)" % (offsets(-1, 10),))
    check(offsets(-2, 10) == (0, [0]), "ListOffsets v0 earliest: [0]")
    check(offsets(-1, 1) == (0, [3]), "ListOffsets v0 latest, max_num_offsets 1: [3]")
    check(offsets(-3, 10)[0] == 35, "ListOffsets v0 with timestamp -3 is UNSUPPORTED_VERSION")

    # Down-conversion refused by the topic.
    check(produce(2, legacy_set(1, [b"x"]), "noconv") == (0, 0), "produce to a topic without down-conversion")
    response = call(FetchRequest[1](replica_id=-1, max_wait_time=0, min_bytes=0,
                                    topics=[("noconv", [(0, 0, 1 << 20)])]))
    (_, partitions), = response.topics
    check(partitions[0][1] == 35, "message.downconversion.enable=false: Fetch v1 is UNSUPPORTED_VERSION "
          "(%s)" % partitions[0][1])
    client.close()


def kcat(bootstrap):
    if KCAT is None:
        check(False, "kcat is installed")
        return
    for fallback, magic in (("0.9.0.1", 0), ("0.10.2.1", 1)):
        legacy = ["-X", "api.version.request=false", "-X", "broker.version.fallback=" + fallback]
        for codec in ("none", "gzip", "snappy", "lz4"):
            topic = "kcat-%d-%s" % (magic, codec)
            lines = ["key%d:line %d" % (i, i) for i in range(200)]
            r = subprocess.run([KCAT, "-b", bootstrap, "-P", "-t", topic, "-p", "0", "-K", ":", "-z", codec]
                               + legacy, input="\n".join(lines) + "\n", capture_output=True, text=True,
                               timeout=60)
            check(r.returncode == 0, "kcat broker.version.fallback=%s -z %s produces (%s)"
                  % (fallback, codec, r.stderr.strip()[-300:]))
            r = subprocess.run([KCAT, "-b", bootstrap, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e",
                                "-q", "-f", "%k:%s\\n"] + legacy, capture_output=True, text=True, timeout=60)
            check(r.stdout.splitlines() == lines, "kcat broker.version.fallback=%s -z %s reads the lines back "
                  "(%d)" % (fallback, codec, len(r.stdout.splitlines())))


def main():
    server = samsa_server.Server(SERVER, {"listeners": "PLAINTEXT://127.0.0.1:0",
                                          "auto.create.topics.enable": "true", "num.partitions": "1"})
    try:
        old_clients(server.bootstrap)
        raw(server.bootstrap)
        kcat(server.bootstrap)
    finally:
        server.stop()
    return samsa_server.finish("legacy format")


if __name__ == "__main__":
    sys.exit(main())

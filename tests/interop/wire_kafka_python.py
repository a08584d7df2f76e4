#!/usr/bin/python3
"""kafka-python (Debian's python3-kafka 2.0.2) against samsa-server over TCP:
the seed's flow and the group, admin and SASL paths a Python test suite uses.

  usage: /usr/bin/python3 wire_kafka_python.py PATH/TO/samsa-server

1. KafkaProducer.send(topic, value, partition=1) and future.get(timeout=10)
   .offset: offsets 0, 1, 2 on partition 1, as a Kafka broker numbers them.
2. KafkaConsumer(topic, group_id, consumer_timeout_ms, enable_auto_commit,
   auto_commit_interval_ms) iterating: every record, in order per partition.
   A second consumer of the group after the first closed: the committed
   offsets are the end offsets (lag 0) and it reads only what came later.
3. KafkaAdminClient: create, list, describe configs, delete topics.
4. Restart of samsa-server on a disk log dir: every acknowledged record and
   the committed offsets are still there.
5. An idempotent batch built by kafka-python's DefaultRecordBatchBuilder,
   sent twice in raw ProduceRequests: the retry gets the first offset and is
   not stored again; a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER.
6. SASL/PLAIN on a SASL_PLAINTEXT listener: right password works, a wrong
   one fails to connect.
Fails (not skips) when kafka-python is missing.
"""

import sys
import tempfile

import samsa_server
from samsa_server import check

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.client_async import KafkaClient
from kafka.errors import KafkaError, NoBrokersAvailable, PolicyViolationError
from kafka.protocol.produce import ProduceRequest
from kafka.record.default_records import DefaultRecordBatchBuilder

SERVER = sys.argv[1]


def start_server(overrides):
    return samsa_server.Server(SERVER, overrides)


def base_overrides(log_dir):
    return {
        "broker.id": "0",
        "listeners": "PLAINTEXT://127.0.0.1:0",
        "log.dirs": log_dir,
        "num.partitions": "3",
        "group.initial.rebalance.delay.ms": "0",
        "offsets.topic.num.partitions": "5",
    }


def consume_all(bootstrap, topic, group, timeout_ms=3000):
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group,
                             auto_offset_reset="earliest", consumer_timeout_ms=timeout_ms,
                             enable_auto_commit=True, auto_commit_interval_ms=100)
    got = [(m.partition, m.offset, m.key, m.value) for m in consumer]
    consumer.close()  # commits what it consumed
    return got


def main():
    log_dir = tempfile.mkdtemp(prefix="samsa-wire-logs-")
    server = start_server(base_overrides(log_dir))
    bootstrap = server.bootstrap

    # 1. The seed's flow.
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    offsets = [producer.send("seed", b"value-%d" % i, partition=1).get(timeout=10).offset for i in range(3)]
    check(offsets == [0, 1, 2], "send(partition=1).get(timeout=10).offset counts 0, 1, 2 (got %s)" % offsets)
    keyed = [producer.send("seed", key=b"k%d" % i, value=b"v%d" % i).get(timeout=10) for i in range(30)]
    check(all(m.topic == "seed" for m in keyed), "keyed sends acknowledged")
    producer.flush()
    producer.close()

    # 2. A group iterating with auto-commit; a second consumer of the group.
    got = consume_all(bootstrap, "seed", "seed-group")
    check(len(got) == 33, "the group consumer read all 33 records (got %d)" % len(got))
    p1 = [v for (p, o, k, v) in got if p == 1 and k is None]
    check(p1 == [b"value-0", b"value-1", b"value-2"], "partition 1 in order")
    per_partition = {}
    for p, o, k, v in got:
        per_partition.setdefault(p, []).append(o)
    check(all(o == sorted(o) and o == list(range(o[0], o[0] + len(o))) for o in per_partition.values()),
          "offsets dense and ordered per partition")

    probe = KafkaConsumer(bootstrap_servers=bootstrap, group_id="seed-group", enable_auto_commit=False)
    tps = [TopicPartition("seed", p) for p in range(3)]
    end = probe.end_offsets(tps)
    committed = {tp: probe.committed(tp) for tp in tps}
    check(all(committed[tp] == end[tp] for tp in tps),
          "committed offsets equal the end offsets: lag 0 (%s vs %s)" % (committed, end))
    probe.close()
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for i in range(5):
        producer.send("seed", b"later-%d" % i, partition=0).get(timeout=10)
    producer.close()
    again = consume_all(bootstrap, "seed", "seed-group")
    check([v for (_, _, _, v) in again] == [b"later-%d" % i for i in range(5)],
          "a new consumer of the group reads only the records after the commit")

    # 3. Admin.
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic("admin-made", num_partitions=4, replication_factor=1,
                                  topic_configs={"retention.ms": "3600000"})])
    check("admin-made" in admin.list_topics(), "create_topics then list_topics")
    configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "admin-made")])
    found = {}
    for response in configs:
        for resource in response.resources:
            for entry in resource[4]:
                found[entry[0]] = entry[1]
    check(found.get("retention.ms") == "3600000", "describe_configs shows retention.ms (got %s)" % found.get("retention.ms"))
    admin.delete_topics(["admin-made"])
    check("admin-made" not in admin.list_topics(), "delete_topics")
    # Kafka's controller refuses a request of more than 10,000 partitions.
    try:
        admin.create_topics([NewTopic("too-big", num_partitions=10001, replication_factor=1)])
        check(False, "a 10,001-partition CreateTopics is refused")
    except PolicyViolationError:
        check("too-big" not in admin.list_topics(), "a 10,001-partition CreateTopics is POLICY_VIOLATION")
    admin.close()

    # 4. Restart on the same log dir.
    server.stop()
    server = start_server(base_overrides(log_dir))
    probe = KafkaConsumer(bootstrap_servers=server.bootstrap, group_id="seed-group", enable_auto_commit=False)
    end = probe.end_offsets(tps)
    check(sum(end.values()) == 38, "after a restart every acknowledged record is there (end offsets %s)" % end)
    committed = {tp: probe.committed(tp) for tp in tps}
    check(all(committed[tp] == end[tp] for tp in tps), "after a restart the committed offsets are kept")
    probe.close()
    server.stop()

    # 5. An idempotent producer's batch, built by kafka-python's record
    # builder, sent twice as a client retrying after a lost response would:
    # the second answer carries the first one's offset and nothing is stored
    # twice; a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER (45).
    server = start_server(base_overrides(tempfile.mkdtemp(prefix="samsa-wire-idem-")))
    client = KafkaClient(bootstrap_servers=server.bootstrap)
    node = 0  # broker.id
    def produce(first_seq, n):
        builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=0,
                                            producer_id=4321, producer_epoch=0,
                                            base_sequence=first_seq, batch_size=1 << 20)
        for i in range(n):
            builder.append(i, timestamp=None, key=None, value=b"seq-%d" % (first_seq + i), headers=[])
        request = ProduceRequest[3](transactional_id=None, required_acks=-1, timeout=10000,
                                    topics=[("idem", [(0, bytes(builder.build()))])])
        while not client.ready(node):
            client.poll(timeout_ms=100)
        future = client.send(node, request)
        client.poll(future=future, timeout_ms=10000)
        (_, partitions), = future.value.topics
        (_, error, offset, _), = partitions
        return error, offset
    admin = KafkaAdminClient(bootstrap_servers=server.bootstrap)
    admin.create_topics([NewTopic("idem", num_partitions=1, replication_factor=1)])
    admin.close()
    first = produce(0, 3)
    retry = produce(0, 3)
    check(first == (0, 0) and retry == (0, 0),
          "an idempotent batch sent twice is answered with offset 0 both times (%s, %s)" % (first, retry))
    check(produce(3, 2) == (0, 3), "the next sequence is stored at offset 3")
    check(produce(9, 1)[0] == 45, "a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER")
    client.close()
    consumer = KafkaConsumer(bootstrap_servers=server.bootstrap, auto_offset_reset="earliest",
                             consumer_timeout_ms=3000)
    consumer.assign([TopicPartition("idem", 0)])
    values = [m.value for m in consumer]
    consumer.close()
    check(values == [b"seq-0", b"seq-1", b"seq-2", b"seq-3", b"seq-4"],
          "the log holds each record once (%s)" % values)
    server.stop()

    # 6. SASL/PLAIN.
    sasl = base_overrides(tempfile.mkdtemp(prefix="samsa-wire-sasl-"))
    sasl["listeners"] = "SASL_PLAINTEXT://127.0.0.1:0"
    sasl["sasl.enabled.mechanisms"] = "PLAIN"
    sasl["listener.name.sasl_plaintext.plain.sasl.jaas.config"] = (
        'org.apache.kafka.common.security.plain.PlainLoginModule required '
        'username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";')
    server = start_server(sasl)
    producer = KafkaProducer(bootstrap_servers=server.bootstrap, security_protocol="SASL_PLAINTEXT",
                             sasl_mechanism="PLAIN", sasl_plain_username="alice",
                             sasl_plain_password="alice-secret")
    check(producer.send("secure", b"x", partition=0).get(timeout=10).offset == 0, "SASL/PLAIN login and produce")
    producer.close()
    try:
        bad = KafkaProducer(bootstrap_servers=server.bootstrap, security_protocol="SASL_PLAINTEXT",
                            sasl_mechanism="PLAIN", sasl_plain_username="alice",
                            sasl_plain_password="wrong", request_timeout_ms=3000, max_block_ms=3000,
                            api_version_auto_timeout_ms=3000)
        bad.send("secure", b"y", partition=0).get(timeout=5)
        check(False, "a wrong password is refused")
    except (KafkaError, NoBrokersAvailable) as e:
        check(True, "a wrong password is refused (%s)" % type(e).__name__)
    server.stop()

    return samsa_server.finish("kafka-python wire")

if __name__ == "__main__":
    sys.exit(main())

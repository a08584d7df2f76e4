#!/usr/bin/python3
"""confluent-kafka-python 1.7 (librdkafka 2.0.2, Debian's
python3-confluent-kafka) against samsa-server over TCP.

  usage: /usr/bin/python3 wire_confluent.py PATH/TO/samsa-server

1. AdminClient: create_topics, list_topics, delete_topics.
2. Producer with acks=all and each compression codec; every delivery report
   carries an offset; a consumer reads every value back. An idempotent
   producer's (enable.idempotence) 1000 records are stored once each.
3. A consumer group of two splits 4 partitions 2 + 2; when one closes (it
   leaves the group), the other gets all 4.
Fails (not skips) when confluent_kafka is missing.
"""

import sys
import time

import samsa_server
from samsa_server import check

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

SERVER = sys.argv[1]


def read_values(bootstrap, group, partitions, count):
    """Up to `count` values from offset 0 of `partitions` (topic, partition)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.assign([TopicPartition(t, p, 0) for t, p in partitions])
    values = []
    deadline = time.time() + 15
    while len(values) < count and time.time() < deadline:
        m = consumer.poll(0.5)
        if m is not None and m.error() is None:
            values.append(m.value().decode())
    consumer.close()
    return values


def main():
    server = samsa_server.Server(SERVER, {
        "broker.id": "0", "listeners": "PLAINTEXT://127.0.0.1:0", "samsa.storage": "memory",
        "group.initial.rebalance.delay.ms": "0", "offsets.topic.num.partitions": "5"})
    bootstrap = server.bootstrap
    try:
        # 1. Admin.
        admin = AdminClient({"bootstrap.servers": bootstrap})
        futures = admin.create_topics([NewTopic("grouped", num_partitions=4, replication_factor=1),
                                       NewTopic("doomed", num_partitions=1, replication_factor=1),
                                       NewTopic("idempotent", num_partitions=2, replication_factor=1)])
        for topic, f in futures.items():
            try:
                f.result(10)
                check(True, "create_topics " + topic)
            except Exception as e:
                check(False, "create_topics %s: %s" % (topic, e))
        md = admin.list_topics(timeout=10)
        check("grouped" in md.topics and len(md.topics["grouped"].partitions) == 4,
              "list_topics shows grouped with 4 partitions")
        for topic, f in admin.delete_topics(["doomed"], operation_timeout=10).items():
            try:
                f.result(10)
                check(True, "delete_topics " + topic)
            except Exception as e:
                check(False, "delete_topics %s: %s" % (topic, e))
        check("doomed" not in admin.list_topics(timeout=10).topics, "deleted topic is gone")

        # 2. acks=all and every codec.
        for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
            topic = "acks-all-" + codec
            producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "compression.type": codec,
                                 "linger.ms": 5})
            reports = []
            for i in range(200):
                producer.produce(topic, value=("%s-%d" % (codec, i)).encode(), partition=0,
                                 on_delivery=lambda err, msg: reports.append((err, msg.offset())))
            producer.flush(15)
            check(len(reports) == 200 and all(e is None for e, _ in reports)
                  and sorted(o for _, o in reports) == list(range(200)),
                  "acks=all %s: 200 delivery reports with offsets 0..199" % codec)
            values = read_values(bootstrap, "reader-" + codec, [(topic, 0)], 200)
            check(values == ["%s-%d" % (codec, i) for i in range(200)], "%s values read back" % codec)

        # 2b. An idempotent producer (InitProducerId, then batches with
        # producer id, epoch and sequences the broker checks).
        producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True,
                             "linger.ms": 2, "batch.num.messages": 50})
        reports = []
        for i in range(1000):
            producer.produce("idempotent", value=b"i-%d" % i, partition=i % 2,
                             on_delivery=lambda err, msg: reports.append((err, msg.partition(), msg.offset())))
            if i % 100 == 99:
                producer.poll(0)
        producer.flush(15)
        by_partition = {0: [], 1: []}
        for err, p, o in reports:
            if err is None:
                by_partition[p].append(o)
        check(len(reports) == 1000 and all(e is None for e, _, _ in reports)
              and all(sorted(v) == list(range(500)) for v in by_partition.values()),
              "enable.idempotence: 1000 delivery reports, offsets 0..499 per partition (errors: %s)"
              % [str(e) for e, _, _ in reports if e is not None][:3])
        values = read_values(bootstrap, "idem-reader", [("idempotent", 0), ("idempotent", 1)], 1000)
        check(sorted(values) == sorted("i-%d" % i for i in range(1000)),
              "the idempotent producer's 1000 records are read back once each")

        # 3. A group of two.
        conf = {"bootstrap.servers": bootstrap, "group.id": "pair", "auto.offset.reset": "earliest",
                "session.timeout.ms": 6000, "heartbeat.interval.ms": 100}
        a = Consumer(dict(conf, **{"client.id": "a"}))
        b = Consumer(dict(conf, **{"client.id": "b"}))
        a.subscribe(["grouped"])
        b.subscribe(["grouped"])
        deadline = time.time() + 30
        while time.time() < deadline:
            a.poll(0.1)
            b.poll(0.1)
            if len(a.assignment()) == 2 and len(b.assignment()) == 2:
                break
        pa = {tp.partition for tp in a.assignment()}
        pb = {tp.partition for tp in b.assignment()}
        check(len(pa) == 2 and len(pb) == 2 and not (pa & pb), "two members split 4 partitions (%s / %s)" % (pa, pb))
        b.close()
        deadline = time.time() + 30
        while time.time() < deadline and len(a.assignment()) != 4:
            a.poll(0.1)
        check(len(a.assignment()) == 4, "after one leaves, the other has all 4 (%d)" % len(a.assignment()))
        a.close()
    finally:
        server.stop()
    return samsa_server.finish("confluent-kafka")

if __name__ == "__main__":
    sys.exit(main())

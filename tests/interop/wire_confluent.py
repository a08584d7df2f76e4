#!/usr/bin/python3
"""confluent-kafka-python 1.7 (librdkafka 2.0.2, Debian's
python3-confluent-kafka) against samsa-server over TCP.

  usage: /usr/bin/python3 wire_confluent.py PATH/TO/samsa-server

1. AdminClient: create_topics, list_topics, delete_topics.
2. Producer with acks=all and each compression codec; every delivery report
   carries an offset; a consumer reads every value back.
3. A consumer group of two splits 4 partitions 2 + 2; when one closes (it
   leaves the group), the other gets all 4.
Fails (not skips) when confluent_kafka is missing.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

SERVER = sys.argv[1]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def start_server(tmp):
    port_file = os.path.join(tmp, "port")
    overrides = {"broker.id": "0", "listeners": "PLAINTEXT://127.0.0.1:0", "samsa.storage": "memory",
                 "log.dirs": os.path.join(tmp, "logs"), "group.initial.rebalance.delay.ms": "0",
                 "offsets.topic.num.partitions": "5"}
    args = [SERVER, "--port-file", port_file]
    for k, v in overrides.items():
        args += ["--override", "%s=%s" % (k, v)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 20
    while not os.path.exists(port_file) or not open(port_file).read().strip():
        if proc.poll() is not None or time.time() > deadline:
            raise SystemExit("samsa-server did not start")
        time.sleep(0.02)
    return proc, open(port_file).read().strip()


def main():
    tmp = tempfile.mkdtemp(prefix="samsa-confluent-")
    proc, bootstrap = start_server(tmp)
    try:
        # 1. Admin.
        admin = AdminClient({"bootstrap.servers": bootstrap})
        futures = admin.create_topics([NewTopic("grouped", num_partitions=4, replication_factor=1),
                                       NewTopic("doomed", num_partitions=1, replication_factor=1)])
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
            consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader-" + codec,
                                 "auto.offset.reset": "earliest", "enable.auto.commit": False})
            consumer.assign([TopicPartition(topic, 0, 0)])
            values = []
            deadline = time.time() + 15
            while len(values) < 200 and time.time() < deadline:
                m = consumer.poll(0.5)
                if m is not None and m.error() is None:
                    values.append(m.value().decode())
            consumer.close()
            check(values == ["%s-%d" % (codec, i) for i in range(200)], "%s values read back" % codec)

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
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            failures.append("samsa-server did not exit on SIGTERM")
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all confluent-kafka checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

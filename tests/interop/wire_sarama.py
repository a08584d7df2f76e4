#!/usr/bin/python3
"""sarama (Shopify's Go client: Debian's golang-github-shopify-sarama-dev
1.22.1, built with Debian's Go) against samsa-server over TCP. sarama is a
fourth implementation of the protocol and record format, independent of
Kafka's Java client, librdkafka and kafka-python.

  usage: /usr/bin/python3 wire_sarama.py PATH/TO/samsa-server

Builds sarama/main.go (GOPATH mode over /usr/share/gocode) and runs it:
1. against samsa-server --brokers 3: admin (create, list, describe and alter
   configs, create partitions, delete records, delete topics), produce with
   keys and headers through none/gzip/snappy/lz4 and read back, zstd refused
   at Produce v3 (UNSUPPORTED_COMPRESSION_TYPE, as Kafka does), ListOffsets
   earliest/latest/by time, an idempotent producer's records stored once,
   a consumer group of two sharing four partitions
   with committed offsets, ListGroups and DescribeGroups;
2. with sarama's default config (Version 0.8.2: Produce v0 with magic-0
   message sets, Fetch v0, ListOffsets v0) and Version 0.10.0 (magic 1):
   keyed records through none/gzip/snappy (and lz4 at 0.10) come back;
3. against a SASL_PLAINTEXT listener: SaslHandshake v1 + SaslAuthenticate
   with the right password, SASL_AUTHENTICATION_FAILED with a wrong one.
Fails (not skips) when Go or sarama is missing.
"""

import os
import shutil
import subprocess
import sys
import tempfile

import samsa_server
from samsa_server import check

SERVER = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
GOPATH = "/usr/share/gocode"
SARAMA = os.path.join(GOPATH, "src/github.com/Shopify/sarama")


def build(out_dir):
    env = dict(os.environ, GOPATH=GOPATH, GO111MODULE="off", GOFLAGS="",
               GOCACHE=os.path.join(out_dir, "gocache"), CGO_ENABLED="1")
    binary = os.path.join(out_dir, "sarama-interop")
    r = subprocess.run(["go", "build", "-o", binary, "."], cwd=os.path.join(HERE, "sarama"), env=env,
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        print(r.stderr[-4000:], flush=True)
        return None
    return binary


def run(binary, mode, bootstrap):
    r = subprocess.run([binary, mode, bootstrap], capture_output=True, text=True, timeout=240)
    print(r.stdout, end="", flush=True)
    if r.stderr:
        print(r.stderr[-4000:], flush=True)
    check(r.returncode == 0, "sarama %s checks (exit %d)" % (mode, r.returncode))


def main():
    if shutil.which("go") is None or not os.path.isdir(SARAMA):
        print("Go or sarama is not installed (scripts/install-deps installs golang-go and "
              "golang-github-shopify-sarama-dev)")
        return 1
    out_dir = tempfile.mkdtemp(prefix="samsa-sarama-")
    binary = build(out_dir)
    check(binary is not None, "sarama-interop builds against Debian's sarama")
    if binary is None:
        return samsa_server.finish("sarama wire")

    server = samsa_server.Server(SERVER, {"listeners": "PLAINTEXT://127.0.0.1:0", "samsa.storage": "memory"},
                                 ["--brokers", "3"])
    try:
        run(binary, "main", server.bootstrap)
    finally:
        server.stop()

    # sarama's default config (Version 0.8.2: Produce v0, magic 0) and 0.10.0.
    server = samsa_server.Server(SERVER, {"listeners": "PLAINTEXT://127.0.0.1:0", "samsa.storage": "memory",
                                          "auto.create.topics.enable": "true", "num.partitions": "1"})
    try:
        run(binary, "legacy", server.bootstrap)
    finally:
        server.stop()

    sasl = {
        "listeners": "SASL_PLAINTEXT://127.0.0.1:0",
        "samsa.storage": "memory",
        "sasl.enabled.mechanisms": "PLAIN",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config":
            'org.apache.kafka.common.security.plain.PlainLoginModule required '
            'username="admin" password="admin-secret" user_alice="alice-secret";',
    }
    server = samsa_server.Server(SERVER, sasl)
    try:
        run(binary, "sasl", server.bootstrap)
    finally:
        server.stop()
    shutil.rmtree(out_dir, ignore_errors=True)
    return samsa_server.finish("sarama wire")


if __name__ == "__main__":
    sys.exit(main())

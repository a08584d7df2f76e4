#!/usr/bin/python3
"""kcat (librdkafka 2.0.2, Debian's kcat) against samsa-server over TCP.

  usage: /usr/bin/python3 wire_kcat.py PATH/TO/samsa-server

1. kcat -L lists the broker and the topics with their partitions.
2. 10,000 lines produced with kcat -P and consumed back with kcat -C -e:
   identical, in order.
3. Keys (-K) and headers (-H) come back as sent (-f '%k|%s|%h').
4. Every compression codec (-z none, gzip, snappy, lz4, zstd): produced and
   read back identical.
5. samsa-server --brokers 3: kcat -L names the three brokers, partition
   leaders are spread over them, and keyed records produced through one
   bootstrap broker all come back (the client reached every leader).
Fails (not skips) when kcat is missing.
"""

import shutil
import subprocess
import sys

import samsa_server
from samsa_server import check

SERVER = sys.argv[1]
KCAT = shutil.which("kcat") or shutil.which("kafkacat")

def kcat(bootstrap, args, stdin=None, timeout=60):
    r = subprocess.run([KCAT, "-b", bootstrap] + args, input=stdin, capture_output=True, text=True,
                       timeout=timeout)
    if r.returncode != 0:
        print("kcat %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr[-2000:]), flush=True)
    return r


def three_brokers():
    server = samsa_server.Server(SERVER, {"listeners": "PLAINTEXT://127.0.0.1:0", "samsa.storage": "memory",
                                          "num.partitions": "6"}, ["--brokers", "3"])
    try:
        first = server.bootstrap.split(",")[0]
        lines = ["key-%d:value-%d" % (i, i) for i in range(300)]
        r = kcat(first, ["-P", "-t", "spread", "-K", ":"], stdin="\n".join(lines) + "\n")
        check(r.returncode == 0, "kcat -P keyed records into a 3-broker cluster")
        r = kcat(first, ["-L", "-t", "spread"])
        brokers = [l for l in r.stdout.splitlines() if l.strip().startswith("broker ")]
        check(len(brokers) == 3, "kcat -L lists 3 brokers (%d)" % len(brokers))
        leaders = {l.split("leader ")[1].split(",")[0] for l in r.stdout.splitlines() if "leader " in l}
        check(leaders == {"0", "1", "2"}, "partition leaders on every broker (%s)" % sorted(leaders))
        r = kcat(first, ["-C", "-t", "spread", "-o", "beginning", "-e", "-q", "-f", "%k:%s\\n"])
        check(sorted(r.stdout.splitlines()) == sorted(lines), "every keyed record comes back from the leaders")
    finally:
        server.stop()


def main():
    if KCAT is None:
        print("kcat is not installed (scripts/install-deps installs it)")
        return 1
    server = samsa_server.Server(SERVER, {"broker.id": "0", "listeners": "PLAINTEXT://127.0.0.1:0",
                                          "samsa.storage": "memory", "num.partitions": "2"})
    bootstrap = server.bootstrap
    try:
        host, port = bootstrap.rsplit(":", 1)

        # 2. 10,000 lines.
        lines = ["line-%05d %s" % (i, "x" * (i % 50)) for i in range(10000)]
        r = kcat(bootstrap, ["-P", "-t", "lines", "-p", "0"], stdin="\n".join(lines) + "\n")
        check(r.returncode == 0, "kcat -P 10,000 lines")
        r = kcat(bootstrap, ["-C", "-t", "lines", "-p", "0", "-o", "beginning", "-e", "-q"])
        got = r.stdout.splitlines()
        check(got == lines, "kcat -C reads the 10,000 lines back identical (got %d)" % len(got))

        # 1. Metadata.
        r = kcat(bootstrap, ["-L"])
        check(r.returncode == 0 and ("broker 0 at %s:%s" % (host, port)) in r.stdout,
              "kcat -L names broker 0 at its address")
        check('topic "lines" with 2 partitions' in r.stdout, "kcat -L lists topic lines with 2 partitions")

        # 3. Keys and headers.
        r = kcat(bootstrap, ["-P", "-t", "keyed", "-p", "1", "-K", ":", "-H", "trace=abc", "-H", "n=1"],
                 stdin="k1:v1\nk2:v2\n")
        check(r.returncode == 0, "kcat -P with keys and headers")
        r = kcat(bootstrap, ["-C", "-t", "keyed", "-p", "1", "-o", "beginning", "-e", "-q",
                             "-f", "%k|%s|%h\\n"])
        check(r.stdout.splitlines() == ["k1|v1|trace=abc,n=1", "k2|v2|trace=abc,n=1"],
              "keys and headers come back (%r)" % r.stdout)

        # 4. Codecs.
        for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
            topic = "codec-" + codec
            payload = ["%s-%d %s" % (codec, i, "abc" * (i % 20)) for i in range(500)]
            r = kcat(bootstrap, ["-P", "-t", topic, "-p", "0", "-z", codec], stdin="\n".join(payload) + "\n")
            check(r.returncode == 0, "kcat -P -z " + codec)
            r = kcat(bootstrap, ["-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q"])
            check(r.stdout.splitlines() == payload, "codec %s round trip" % codec)
        three_brokers()
    finally:
        server.stop()
    return samsa_server.finish("kcat")

if __name__ == "__main__":
    sys.exit(main())

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

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SERVER = sys.argv[1]
KCAT = shutil.which("kcat") or shutil.which("kafkacat")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def kcat(bootstrap, args, stdin=None, timeout=60):
    r = subprocess.run([KCAT, "-b", bootstrap] + args, input=stdin, capture_output=True, text=True,
                       timeout=timeout)
    if r.returncode != 0:
        print("kcat %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr[-2000:]), flush=True)
    return r


def start(overrides, extra=()):
    tmp = tempfile.mkdtemp(prefix="samsa-kcat-")
    port_file = os.path.join(tmp, "port")
    overrides = dict(overrides, **{"log.dirs": os.path.join(tmp, "logs")})
    args = [SERVER, "--port-file", port_file] + list(extra)
    for k, v in overrides.items():
        args += ["--override", "%s=%s" % (k, v)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 20
    while not os.path.exists(port_file) or not open(port_file).read().strip():
        if proc.poll() is not None or time.time() > deadline:
            raise SystemExit("samsa-server did not start: " + (proc.stdout.read() if proc.poll() is not None else ""))
        time.sleep(0.02)
    return proc, open(port_file).read().strip()


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.communicate(timeout=20)
        check(proc.returncode == 0, "samsa-server exits 0 on SIGTERM")
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        check(False, "samsa-server exits on SIGTERM")


def three_brokers():
    proc, bootstraps = start({"listeners": "PLAINTEXT://127.0.0.1:0", "samsa.storage": "memory",
                              "num.partitions": "6"}, ["--brokers", "3"])
    try:
        first = bootstraps.split(",")[0]
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
        stop(proc)


def main():
    if KCAT is None:
        print("kcat is not installed (scripts/install-deps installs it)")
        return 1
    tmp = tempfile.mkdtemp(prefix="samsa-kcat-")
    port_file = os.path.join(tmp, "port")
    overrides = {"broker.id": "0", "listeners": "PLAINTEXT://127.0.0.1:0", "samsa.storage": "memory",
                 "num.partitions": "2", "log.dirs": os.path.join(tmp, "logs")}
    args = [SERVER, "--port-file", port_file]
    for k, v in overrides.items():
        args += ["--override", "%s=%s" % (k, v)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 20
        while not os.path.exists(port_file) or not open(port_file).read().strip():
            if proc.poll() is not None or time.time() > deadline:
                raise SystemExit("samsa-server did not start")
            time.sleep(0.02)
        bootstrap = open(port_file).read().strip()
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
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            failures.append("samsa-server did not exit on SIGTERM")
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all kcat checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

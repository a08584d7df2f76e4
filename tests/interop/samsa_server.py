"""Shared by the wire interop scripts: start samsa-server as a subprocess on
ephemeral ports (it writes its bootstrap address to --port-file once it
accepts connections), stop it with SIGTERM, and count failed checks."""

import os
import signal
import subprocess
import tempfile
import time

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def finish(name):
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all %s checks passed" % name)
    return 0


class Server:
    """samsa-server with `--override k=v` per entry of `overrides` (log.dirs
    defaults to a fresh temporary dir) and `extra` arguments."""

    def __init__(self, binary, overrides, extra=()):
        tmp = tempfile.mkdtemp(prefix="samsa-wire-")
        port_file = os.path.join(tmp, "port")
        overrides = dict({"log.dirs": os.path.join(tmp, "logs")}, **overrides)
        args = [binary, "--port-file", port_file] + list(extra)
        for k, v in overrides.items():
            args += ["--override", "%s=%s" % (k, v)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 20
        while not os.path.exists(port_file) or not open(port_file).read().strip():
            if self.proc.poll() is not None or time.time() > deadline:
                out = self.proc.stdout.read() if self.proc.poll() is not None else ""
                raise SystemExit("samsa-server did not start: " + out)
            time.sleep(0.02)
        # One host:port per broker, comma-separated.
        self.bootstrap = open(port_file).read().strip()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            check(False, "samsa-server exits on SIGTERM")
            return
        check(self.proc.returncode == 0, "samsa-server exits 0 on SIGTERM (got %s)" % self.proc.returncode)

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright 2026 The blobby-c authors
#
# tests/tools/test_blobby_rpc.py -- tools/blobby-rpc against a real blobbyd
# (path in $BLOBBYD): the Python stubs from stock protoc and the hand-made
# NNG framing must interoperate with the C server.  Loopback only; every
# wait is bounded.  Run: BLOBBYD=build/blobbyd python3 tests/tools/...

import base64
import os
import queue
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.realpath(__file__))))
TOOL = os.path.join(REPO, "tools", "blobby-rpc")
START_WAIT = 20  # seconds for blobbyd to print its addresses
STOP_WAIT = 20   # seconds for blobbyd to exit after SIGTERM


def b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def free_port():
    # A port nobody listens on: bound, then released at once.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BlobbyRpcTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        blobbyd = os.environ.get("BLOBBYD")
        if not blobbyd or not os.access(blobbyd, os.X_OK):
            raise RuntimeError("set BLOBBYD to the blobbyd binary (got %r)" %
                               blobbyd)
        cls.tmp = tempfile.mkdtemp(prefix="blobby-rpc-test-")
        cls.proc = None
        try:
            cls.start(blobbyd)
            cls.small = b"hello from blobby-rpc\n"
            # Three full chunks of 512 KiB and a partial one.
            cls.big = os.urandom(3 * 512 * 1024 + 123)
            cls.small_id = cls.insert(cls.small)
            cls.big_id = cls.insert(cls.big)
            cls.empty_id = cls.insert(b"")
        except BaseException:
            cls.stop()
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            rc = cls.stop()
            if rc != 0:
                raise AssertionError("blobbyd exited %r after SIGTERM\n%s" %
                                     (rc, cls.logs()))
        finally:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def start(cls, blobbyd):
        t = cls.tmp
        conf = os.path.join(t, "blobbyd.conf")
        with open(conf, "w") as f:
            f.write("machine_id = 5\n[log]\nfile = %s/blobbyd.log\n"
                    "[server]\naddr = 127.0.0.1\nport = 0\nrpc_port = 0\n"
                    "[namespace.test]\ndirectory = %s/test\nreplicas = 0\n"
                    "archive = dir\narchive_directory = %s/archive\n" %
                    (t, t, t))
        cls.stderr = open(os.path.join(t, "stderr"), "wb")
        cls.proc = subprocess.Popen([blobbyd, "-c", conf], cwd=t,
                                    stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=cls.stderr)
        # A reader thread makes the wait for the address lines bounded and
        # keeps draining stdout afterwards so blobbyd never blocks on it.
        lines = queue.Queue()

        def pump():
            for line in cls.proc.stdout:
                lines.put(line.decode(errors="replace"))
            lines.put(None)
        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + START_WAIT
        cls.http = cls.rpc = None
        while cls.http is None or cls.rpc is None:
            try:
                line = lines.get(timeout=max(0, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                raise RuntimeError("blobbyd gave no 'listening on' and "
                                   "'rpc on' lines within %ds\n%s" %
                                   (START_WAIT, cls.logs()))
            m = re.search(r"listening on (http://[0-9.]+:\d+)", line)
            cls.http = m.group(1) if m else cls.http
            m = re.search(r"rpc on tcp://([0-9.]+:\d+)", line)
            cls.rpc = m.group(1) if m else cls.rpc

    @classmethod
    def stop(cls):
        """SIGTERM blobbyd; its exit status (None if it had to be killed)."""
        if cls.proc is None:
            return 0
        p, cls.proc = cls.proc, None
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            return p.wait(timeout=STOP_WAIT)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=STOP_WAIT)
            return None
        finally:
            p.stdout.close()
            cls.stderr.close()

    @classmethod
    def logs(cls):
        out = []
        for name in ("stderr", "blobbyd.log"):
            try:
                with open(os.path.join(cls.tmp, name), "rb") as f:
                    out.append("--- %s:\n%s" % (name, f.read()[-4000:]
                                                .decode(errors="replace")))
            except OSError:
                pass
        return "\n".join(out)

    @classmethod
    def insert(cls, body):
        req = urllib.request.Request(cls.http + "/test", data=body,
                                     method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.read().decode().strip()

    def tool(self, *args, timeout=60):
        """Run blobby-rpc; (exit status, stdout bytes, stderr text)."""
        r = subprocess.run([sys.executable, TOOL] + list(args),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        return r.returncode, r.stdout, r.stderr.decode(errors="replace")

    def rpc_tool(self, *args):
        return self.tool("--rpc", self.rpc, *args)

    def test_read_small(self):
        rc, out, err = self.rpc_tool("read", "test", self.small_id)
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, self.small)

    def test_read_empty(self):
        # One Read of length 0 still asks the node: it exists, and is empty.
        rc, out, err = self.rpc_tool("read", "test", self.empty_id)
        self.assertEqual((rc, out, err), (0, b"", ""))

    def test_read_big_in_chunks(self):
        rc, out, err = self.rpc_tool("read", "test", self.big_id)
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(len(out), len(self.big))
        self.assertTrue(out == self.big, "big blob differs")

    def test_read_to_file(self):
        path = os.path.join(self.tmp, "out.bin")
        rc, out, err = self.rpc_tool("read", "test", self.big_id, "-o", path)
        self.assertEqual((rc, out, err), (0, b"", ""))
        with open(path, "rb") as f:
            self.assertTrue(f.read() == self.big, "big blob file differs")

    def test_read_unknown_id(self):
        raw = unb64(self.small_id)
        # The same file with counter 0xffff: a fid this node never made.
        other = raw[:4] + b"\xff\xff" + raw[6:]
        self.assertNotEqual(other[:10], raw[:10])
        # Ranges past the committed end of a real file, the second in the
        # 30-character form (start >= 2^32).
        past = raw[:10] + struct.pack(">II", 1 << 30, 10)
        far = raw[:10] + struct.pack(">QI", 1 << 32, 10)
        self.assertEqual(len(b64(far)), 30)
        for ns, bad in (("test", b64(other)), ("test", b64(past)),
                        ("test", b64(far)), ("nonesuch", self.small_id)):
            path = os.path.join(self.tmp, "never.bin")
            rc, out, err = self.rpc_tool("read", ns, bad, "-o", path)
            self.assertEqual(rc, 1, err)
            self.assertRegex(err, r"^blobby-rpc: NOT_FOUND\b")
            self.assertEqual(len(err.splitlines()), 1, err)
            self.assertFalse(os.path.exists(path), "partial output left")

    def test_status(self):
        rc, out, err = self.rpc_tool("status")
        self.assertEqual((rc, err), (0, ""))
        out = out.decode()
        self.assertRegex(out, r"(?m)^machine_id:\s+5$")
        self.assertRegex(out, r"(?m)^namespaces:\s+(.* )?test( .*)?$")
        self.assertRegex(out, r"(?m)^max_chunk:\s+[1-9]\d*$")
        self.assertRegex(out, r"(?m)^version:\s+\S")

    def test_heartbeat_without_replica(self):
        fid = b64(unb64(self.small_id)[:10])
        self.assertEqual(len(fid), 14)
        rc, out, err = self.rpc_tool("heartbeat", "test", fid)
        # This node has the primary, not a replica r-<fid>, and a tool
        # is not the machine the fid names: the replica calls of a fid
        # are taken only from that machine's configured address.
        self.assertEqual(out.decode().split(":")[0].strip(),
                         "PERMISSION_DENIED", (out, err))
        self.assertIn("not a configured peer", out.decode())
        self.assertEqual(rc, 1)

    def test_unknown_address_refused(self):
        # 127.0.0.9 is this machine too, but neither 127.0.0.1 nor a
        # configured peer: the node closes the connection unanswered.
        rc, out, err = self.rpc_tool("--source", "127.0.0.9", "--timeout",
                                     "5", "status")
        self.assertEqual(rc, 1, (out, err))
        self.assertEqual(out, b"")
        self.assertIn("blobby-rpc:", err)
        self.assertRegex(self.logs(), r"refused a connection from 127\.0\.0\.9")
        # From 127.0.0.1 the same call works.
        rc, out, err = self.rpc_tool("status")
        self.assertEqual((rc, err), (0, ""))

    def test_nobody_listening(self):
        t0 = time.monotonic()
        rc, out, err = self.tool("--rpc", "127.0.0.1:%d" % free_port(),
                                 "--timeout", "3", "status")
        self.assertNotEqual(rc, 0)
        self.assertIn("cannot connect to 127.0.0.1:", err)
        self.assertLess(time.monotonic() - t0, 20)

    def test_silent_peer_times_out(self):
        # Accepts TCP (the kernel's backlog does) but never says a word.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(4)
            t0 = time.monotonic()
            rc, out, err = self.tool("--rpc", "127.0.0.1:%d" %
                                     s.getsockname()[1], "--timeout", "1",
                                     "status", timeout=30)
        self.assertEqual(rc, 1, err)
        self.assertIn("no answer in 1s", err)
        self.assertLess(time.monotonic() - t0, 15)

    def test_usage_errors(self):
        for args in (("read", "test", "not-an-id"),
                     ("read", "test", self.small_id + "A"),
                     ("heartbeat", "test", self.small_id),
                     ("--rpc", "nowhere", "status"),
                     ("frobnicate",)):
            rc, out, err = self.tool(*args)
            self.assertEqual(rc, 2, (args, err))
            self.assertIn("usage:", err)

    def test_help(self):
        for cmd in ((), ("status",), ("heartbeat",), ("read",)):
            rc, out, err = self.tool(*cmd, "--help")
            self.assertEqual(rc, 0, err)
            self.assertIn(b"usage: blobby-rpc", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)

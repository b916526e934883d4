#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright 2026 The blobby-c authors
#
# tests/tools/test_blobby_migrate.py -- tools/blobby-migrate on the
# original's configurations: the shape of its example (which needs every
# --accept), a cluster node's file (which converts cleanly), and each
# change of behaviour it must refuse.  Every converted file is checked by
# the real `blobbyd -t` ($BLOBBYD).  Run: BLOBBYD=build/blobbyd python3 ...

import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.realpath(__file__))))
TOOL = os.path.join(REPO, "tools", "blobby-migrate")
FIXTURES = os.path.join(REPO, "tests", "tools", "migrate")
ALL_ACCEPT = ["--accept", "logins", "--accept", "plaintext-rpc",
              "--accept", "aws-profile"]
WAIT = 60  # seconds for one run of the tool or of blobbyd -t


def run(args, cwd=None):
    return subprocess.run([sys.executable, TOOL] + args, cwd=cwd,
                          capture_output=True, text=True, timeout=WAIT)


def ini_sections(text):
    """{section: {key: value}} of the converted INI ('' is the top)."""
    out, cur = {"": {}}, ""
    for line in text.splitlines():
        if not line or line.startswith(";"):
            continue
        m = re.fullmatch(r"\[(.+)\]", line)
        if m:
            cur = m.group(1)
            out.setdefault(cur, {})
            continue
        k, v = line.split(" = ", 1)
        out[cur][k] = v
    return out


def leaves(doc, path=()):
    """Every (table path, key) of a TOML document, arrays of tables too."""
    for k, v in doc.items():
        if isinstance(v, dict):
            yield from leaves(v, path + (k,))
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            for item in v:
                yield from leaves(item, path + (k,))
        else:
            yield path, k


class Migrate(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="bb-migrate-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def fixture(self, name, subst=None):
        """A copy of a fixture in the temp dir, /etc/blobby/ pointing into
        it, with an htpasswd file there; returns its path."""
        with open(os.path.join(FIXTURES, name)) as f:
            text = f.read().replace("/etc/blobby/", self.tmp + "/")
        for a, b in (subst or {}).items():
            text = text.replace(a, b)
        with open(os.path.join(self.tmp, "htpasswd"), "w") as f:
            f.write("test:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=:upload\n")
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def write(self, text):
        path = os.path.join(self.tmp, "in.toml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def blobbyd_check(self, ini_text, cwd=None, env=None):
        blobbyd = os.environ.get("BLOBBYD")
        if not blobbyd:
            self.skipTest("BLOBBYD not set")
        path = os.path.join(self.tmp, "out.ini")
        with open(path, "w") as f:
            f.write(ini_text)
        r = subprocess.run([os.path.abspath(blobbyd), "-t", "-c", path],
                           cwd=cwd, env=dict(os.environ, **(env or {})),
                           capture_output=True, text=True, timeout=WAIT)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def make_cert(self):
        """server.pem and server.key in the temp dir (openssl CLI)."""
        if shutil.which("openssl") is None:
            return False
        r = subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
             "-subj", "/CN=blobby.example.com", "-keyout", "server.key",
             "-out", "server.pem"], cwd=self.tmp, capture_output=True,
            timeout=WAIT)
        return r.returncode == 0

    def test_example_refused_without_accept(self):
        r = run([self.fixture("original.toml")])
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stdout, "")
        refused = [l for l in r.stderr.splitlines() if "refused:" in l]
        self.assertEqual(len(refused), 4, r.stderr)
        for what, code in (("[server.health_check_acl]", "logins"),
                           ("[[remote]] id 2", "plaintext-rpc"),
                           ("[aws.default]", "aws-profile"),
                           ("[namespace.test] read_acl", "logins")):
            self.assertTrue(any(what in l and f"--accept {code}" in l
                                for l in refused), (what, r.stderr))
        self.assertIn("4 refusals: nothing written", r.stderr)

    def test_example_accepted_maps_every_key(self):
        src = self.fixture("original.toml")
        out = os.path.join(self.tmp, "blobbyd.conf")
        r = run(ALL_ACCEPT + ["-o", out, src])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.stat(out).st_mode & 0o777, 0o640)
        with open(out) as f:
            text = f.read()
        s = ini_sections(text)
        self.assertEqual(s[""]["machine_id"], "1")
        self.assertEqual(s["client"]["timeout"], "1m")
        self.assertEqual(s["server"]["tls_certificate_file"],
                         "file:server.pem")
        self.assertEqual(s["server"]["rpc_port"], "1092")
        self.assertEqual(s["remote.2"]["host"], "127.0.0.1")
        self.assertEqual(s["aws.default"]["from_environment"], "true")
        self.assertNotIn("profile", s["aws.default"])
        # The ACLs that leaned on logins are closed, not opened.
        for acl in ("server.health_check_acl", "namespace.test.read_acl"):
            self.assertEqual(s[acl], {"white_list_cidrs": "0.0.0.0/32",
                                      "white_list_required": "true"})
        # The original's default for server ACLs, made explicit.
        self.assertEqual(s["server.status_acl"]["white_list_cidrs"],
                         "127.0.0.1/32")
        # Every key of the input is in the output or named on stderr.
        with open(src, "rb") as f:
            doc = tomllib.load(f)
        for path, key in leaves(doc):
            if key == "id" and path == ("remote",):
                continue  # the section's name
            low = key.lower()
            mapped = {"tls_certificate_url": "tls_certificate_file",
                      "tls_private_key_url": "tls_private_key_file"}
            name = mapped.get(low, low)
            in_ini = any(name in sec for sec in s.values())
            self.assertTrue(in_ini or low in r.stderr or
                            path[:1] == ("saml",), (path, key))
        self.assertIn("[saml.corp]: dropped", r.stderr)
        if self.make_cert():
            # from_environment: the keys come from there.
            self.blobbyd_check(text, cwd=self.tmp, env={
                "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"})

    def test_cluster_node_converts_cleanly(self):
        r = run([self.fixture("cluster.toml")])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("refused", r.stderr)
        s = ini_sections(r.stdout)
        self.assertEqual(s["namespace.default.insert_acl"], {
            "white_list_cidrs": "10.1.0.0/16",
            "allow_x_forwarded_from_cidrs": "10.1.0.5/32",
            "basic_auth_htpasswd_file": "file://" + self.tmp + "/htpasswd",
            "basic_auth_realm": "Uploads",
            "basic_auth_user_tags": "upload",
            "basic_auth_required": "true"})
        self.assertEqual(s["namespace.default.primary_acl"],
                         {"white_list_cidrs": "10.0.0.0/24"})
        self.assertEqual(s["namespace.default"]["upload_file_size"],
                         "1,073,741,824")
        self.assertEqual(s["namespace.default"]["archive"], "s3")
        self.assertEqual(s["server.status_acl"]["white_list_cidrs"],
                         "127.0.0.1/32, 10.0.0.0/24")
        # An optional login beside an optional white list only goes.
        self.assertEqual(s["server.health_check_acl"],
                         {"white_list_cidrs": "10.0.0.0/24"})
        self.assertIn("web_users dropped", r.stderr)
        self.assertEqual(set(k for k in s if k.startswith("remote.")),
                         {"remote.2", "remote.3"})
        self.assertEqual(s["server.access_log"]["format"], "plain")
        self.assertEqual(s["log"]["debug"], "true")
        self.blobbyd_check(r.stdout)

    def test_refusals(self):
        base = ('machine_id = 1\n[log]\nfile = "-"\n'
                '[namespace.a]\ndirectory = "/tmp/a"\n'
                'aws_profile = "p"\ns3_bucket = "b"\n[aws.p]\n'
                'region = "r"\n')
        cases = {
            "duration without unit":
                ('[server]\naddr = "127.0.0.1"\nread_timeout = 30\n',
                 "write the duration with a unit"),
            "comment in a value":
                ('[server]\naddr = "127.0.0.1"\nhost_name = "a ;b"\n',
                 "INI cannot carry this value"),
            "unknown key":
                ('[server]\naddr = "127.0.0.1"\nportt = 1\n',
                 "unknown key 'portt'"),
            "remote secret":
                ('[server]\naddr = "127.0.0.1"\n[server.status_acl]\n'
                 'basic_auth_htpasswd_url = "sm://prod/htpasswd"\n',
                 "remote secrets are not supported"),
            "ports clash":
                ('[server]\naddr = "127.0.0.1"\nport = 1092\n',
                 "give --rpc-port another one"),
            "optional login alone":
                ('[server]\naddr = "127.0.0.1"\n[server.status_acl]\n'
                 'web_users = true\n', "would admit requests"),
            "required white list and optional login":
                ('[server]\naddr = "127.0.0.1"\n[server.status_acl]\n'
                 'white_list_cidrs = ["10.0.0.0/8"]\n'
                 'white_list_required = true\nweb_users = true\n',
                 "would admit requests"),
            "ec2 role":
                ('[server]\naddr = "127.0.0.1"\n[aws.q]\n'
                 'from_ec2_role = true\n', "from_ec2_role is not supported"),
        }
        for name, (extra, want) in cases.items():
            with self.subTest(name):
                out = os.path.join(self.tmp, "never.ini")
                r = run(["-o", out, self.write(base + extra)])
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn(want, r.stderr)
                self.assertFalse(os.path.exists(out))

    def test_addr_unset_listens_everywhere(self):
        r = run([self.write('machine_id = 3\n[namespace.a]\n'
                            'directory = "/tmp/a"\naws_profile = "p"\n'
                            's3_bucket = "b"\nreplicas = 0\n[aws.p]\n'
                            'region = "r"\nkey_id = "k"\nsecret_key = "s"\n')])
        self.assertEqual(r.returncode, 0, r.stderr)
        s = ini_sections(r.stdout)
        self.assertEqual(s["server"]["addr"], "0.0.0.0")
        self.assertIn("listened on every interface", r.stderr)
        self.assertIn("[log]: absent", r.stderr)
        self.blobbyd_check(r.stdout)

    def test_bad_input(self):
        self.assertEqual(run([os.path.join(self.tmp, "none")]).returncode,
                         66)
        self.assertEqual(run([self.write("machine_id = = 1\n")]).returncode,
                         65)
        self.assertEqual(run(["--rpc-port", "0", self.write("")])
                         .returncode, 64)
        r = run([self.write("machine_id = 1\n")])
        self.assertEqual(r.returncode, 1)
        self.assertIn("no [namespace.*] table", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)

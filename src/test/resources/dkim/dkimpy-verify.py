# Verifies every DKIM-Signature of each message file with dkimpy (python3-dkim; Ed25519 through python3-nacl),
# the keys read from a DNS server given on the command line (the test's DnsFixture on loopback).
# Prints one line per signature: "<file> <index> pass|fail <d=> <s=> <a=> [reason]". Run with /usr/bin/python3.
#   usage: dkimpy-verify.py DNS_ADDRESS DNS_PORT FILE...
import logging
import sys

import dkim
import dns.message
import dns.query

server, port = sys.argv[1], int(sys.argv[2])


def txt(name, timeout=5):
    q = dns.message.make_query(name.decode() if isinstance(name, bytes) else name, "TXT")
    r = dns.query.udp(q, server, port=port, timeout=timeout)
    for rrset in r.answer:
        for rd in rrset:
            return b"".join(rd.strings)
    return None


class Reasons(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


for path in sys.argv[3:]:
    with open(path, "rb") as f:
        msg = f.read()
    headers, _ = dkim.rfc822_parse(msg)
    count = len([1 for k, _ in headers if k.lower() == b"dkim-signature"])
    if count == 0:
        print(path, "-", "none")
    for idx in range(count):
        log = logging.getLogger("dkimpy-%d" % idx)
        log.setLevel(logging.DEBUG)
        reasons = Reasons()
        log.handlers = [reasons]
        log.propagate = False
        d = dkim.DKIM(msg, logger=log)
        try:
            ok = d.verify(idx=idx, dnsfunc=txt)
            why = "" if ok else (reasons.lines[-1] if reasons.lines else "")
        except Exception as e:  # a malformed signature or key: a failure, with its reason
            ok, why = False, "%s: %s" % (type(e).__name__, e)
        sig = d.signature_fields or {}
        print(path, idx, "pass" if ok else "fail", sig.get(b"d", b"?").decode(), sig.get(b"s", b"?").decode(),
              sig.get(b"a", b"?").decode(), why.replace("\n", " ")[:300])
sys.stdout.flush()

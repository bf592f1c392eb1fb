# The link's logs list. Loaded by the router (pod.link) for one request, then dropped; a logs
# read is pod.link.file_read's, so a read beside a night loads no more code than it needs.
import os

from pod import ok


def handle(rid, req):
    from pod import journal
    op = req.get("op")
    if op == "list":
        parts = []
        for seq in journal.files():
            name = journal.file_name(seq)
            parts.append('{"name":"%s","size":%d}' % (name, os.stat(name)[6]))
        ok(rid, ',"files":[%s]' % ",".join(parts))
    else:
        raise ValueError("op: list or read")

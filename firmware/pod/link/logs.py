# The serial link's logs commands (list/read). Loaded by pod.linkfiles for one request, then
# unloaded; config has its own module (pod.linkconfig), so a read beside a night loads no more
# code than it needs.
import os

from pod.linkfiles import ok, read


def handle(rid, req):
    from pod import journal
    op = req.get("op")
    if op == "list":
        parts = []
        for seq in journal.files():
            name = journal.file_name(seq)
            parts.append('{"name":"%s","size":%d}' % (name, os.stat(name)[6]))
        ok(rid, ',"files":[%s]' % ",".join(parts))
    elif op == "read":
        name = req.get("name")
        if (type(name) is not str or not name.startswith(journal.PREFIX)
                or not name.endswith(journal.SUFFIX) or "/" in name):
            raise ValueError("name: a journal file from logs list")
        read(rid, name, req)
    else:
        raise ValueError("op: list or read")

"""Attacks on a sigbox TUF repository against python-tuf's ngclient (a stock TUF client).

usage: tuf_attacks.py OLD_REPO NEW_REPO NEWER_REPO BOOTSTRAP_ROOT EXPIRED_REPO EXPIRED_ROOT

OLD_REPO, NEW_REPO and NEWER_REPO are copies of one repository after three publications, each
bumping targets, snapshot and timestamp (NEW_REPO also the root, to version 2); EXPIRED_REPO is
a repository whose timestamp had expired when it was copied. An attacker holds no keys: a
rollback serves old, validly signed files under the names the newest timestamp points to. Each attack serves a doctored copy
over HTTP to a client that already trusts what it saw before. Prints one line per attack,
`refused <attack>: <error>` or `ACCEPTED <attack>`, and exits 1 if any was accepted.
"""

import functools
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading

from tuf.ngclient import Updater

old_repo, new_repo, newer_repo, bootstrap, expired_repo, expired_root = sys.argv[1:7]
root_bytes = open(bootstrap, "rb").read()


def serve(directory):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def updater(meta, url, root=root_bytes):
    return Updater(
        metadata_dir=meta,
        metadata_base_url=url,
        target_base_url=url + "/targets/",
        target_dir=meta,
        bootstrap=root,
    )


def version(path):
    return json.load(open(path))["signed"]["version"]


failures = 0


def attack(name, doctor, repo=new_repo, root=root_bytes, seen=new_repo):
    """A client that has refreshed against `seen` then refreshes against `repo` as `doctor`
    changed it; the attack must be refused."""
    global failures
    work = tempfile.mkdtemp()
    meta = os.path.join(work, "meta")
    os.makedirs(meta)
    if seen is not None:
        server, url = serve(seen)
        updater(meta, url, root).refresh()
        server.shutdown()
    served = os.path.join(work, "served")
    shutil.copytree(repo, served)
    doctor(served)
    server, url = serve(served)
    try:
        u = updater(meta, url, root)
        u.refresh()
        info = u.get_targetinfo("trusted_root.json")
        u.download_target(info, filepath=os.path.join(work, "t"))
        print(f"ACCEPTED {name}")
        failures += 1
    except Exception as e:  # noqa: BLE001 - any refusal is what we want; say which
        print(f"refused {name}: {type(e).__name__}: {e}")
    finally:
        server.shutdown()
        shutil.rmtree(work)


def copy_from_old(*names):
    def doctor(served):
        for old, new in names:
            shutil.copy(os.path.join(old_repo, old), os.path.join(served, new))
    return doctor


def versions(repo):
    return {
        role: version(os.path.join(repo, f"{role}.json"))
        for role in ("timestamp", "snapshot", "targets")
    }


v_old, v_new, v_newer = versions(old_repo), versions(new_repo), versions(newer_repo)
for role in v_old:
    assert v_old[role] < v_new[role] < v_newer[role], (role, v_old, v_new, v_newer)

# Rollback: the client trusts NEW; the mirror serves older files.
attack("timestamp rollback", copy_from_old(("timestamp.json", "timestamp.json")))
attack(
    "snapshot rollback",
    copy_from_old((f"{v_old['snapshot']}.snapshot.json", f"{v_newer['snapshot']}.snapshot.json")),
    repo=newer_repo,
)
attack(
    "targets rollback",
    copy_from_old((f"{v_old['targets']}.targets.json", f"{v_newer['targets']}.targets.json")),
    repo=newer_repo,
)
# Mix and match: a fresh client gets the new timestamp with an old snapshot's contents.
attack(
    "mix-and-match snapshot",
    copy_from_old((f"{v_old['snapshot']}.snapshot.json", f"{v_new['snapshot']}.snapshot.json")),
    seen=None,
)


# A root below threshold: the new root keeps only the new key's signature.
def strip_old_root_signature(served):
    path = os.path.join(served, "2.root.json")
    root = json.load(open(path))
    old_keys = json.loads(root_bytes)["signed"]["roles"]["root"]["keyids"]
    root["signatures"] = [s for s in root["signatures"] if s["keyid"] not in old_keys]
    assert root["signatures"], "the new root must keep the new key's signature"
    json.dump(root, open(path, "w"))


attack("root signed below threshold", strip_old_root_signature, seen=None)


# Oversized metadata: a timestamp.json far past the client's limit (endless data attack).
def oversized_timestamp(served):
    path = os.path.join(served, "timestamp.json")
    ts = json.load(open(path))
    ts["signed"]["padding"] = "x" * 100_000
    json.dump(ts, open(path, "w"))


attack("oversized timestamp", oversized_timestamp, seen=None)

# Freeze: the timestamp the mirror serves has expired.
attack(
    "expired timestamp (freeze)",
    lambda served: None,
    repo=expired_repo,
    root=open(expired_root, "rb").read(),
    seen=None,
)

# And the honest repository is accepted, so the refusals above are the attacks'.
attack_free = tempfile.mkdtemp()
server, url = serve(new_repo)
try:
    u = updater(attack_free, url)
    u.refresh()
    print("honest root version", u._trusted_set.root.version)
finally:
    server.shutdown()
    shutil.rmtree(attack_free)
sys.exit(1 if failures else 0)

"""python-tuf's ngclient refreshes from a bootstrap root: prints the root version it ends on
and whether trusted_root.json is a target. Usage: ngclient_refresh.py METADATA_DIR URL ROOT"""
import sys

from tuf.ngclient import Updater

meta, url, root = sys.argv[1:4]
u = Updater(
    metadata_dir=meta,
    metadata_base_url=url,
    target_base_url=url + "/targets/",
    target_dir=meta,
    bootstrap=open(root, "rb").read(),
)
u.refresh()
info = u.get_targetinfo("trusted_root.json")
print("root version", u._trusted_set.root.version, "target", info is not None)

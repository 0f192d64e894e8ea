"""The service worker caches every module of the officials' screens once an official signed in (so that their
first session opens offline): its list must name every file of pwa/work/, or a new screen would not open offline."""

import re

from shared.config import PROJECT_ROOT

PWA = PROJECT_ROOT / "pwa"


def test_the_officials_list_of_the_service_worker_names_every_work_module():
    source = (PWA / "sw.js").read_text(encoding="utf-8")
    block = re.search(r"const OFFICIALS = \[(.*?)\];", source, re.S)
    assert block, "sw.js lists the officials' files in OFFICIALS"
    names = set(re.findall(r"'([\w-]+)'", block.group(1)))
    modules = {path.stem for path in (PWA / "work").glob("*.js")}
    assert modules <= names, f"missing from OFFICIALS in sw.js: {sorted(modules - names)}"
    assert names <= modules, f"named in OFFICIALS but not in pwa/work/: {sorted(names - modules)}"

#!/usr/bin/env python3
"""Bundle the built-in scenarios for the page: `make wasm` runs

    python3 web/bundle_scenarios.py core/scenarios/index.txt www/pkg/scenarios.json www/pkg/redis_ha_sim_web_bg.wasm

and the page fetches the bundle at startup. It is `[{id, name, description, json}]` in the order of index.txt
(which a core test keeps equal to `library::SCENARIOS`), with each file's text verbatim in `json`, so that
trace hashes and share links are those of the CLI. Given the wasm package, it also checks that the package no
longer embeds the scenarios (the web crate depends on the core without its `builtin-scenarios` feature).
"""
import json
import os
import sys


def main(index_path, out_path, wasm_path=None):
    folder = os.path.dirname(index_path)
    with open(index_path, encoding="utf-8") as f:
        ids = [line.strip() for line in f if line.strip() and not line.lstrip().startswith("#")]
    entries = []
    for id in ids:
        with open(os.path.join(folder, f"{id}.json"), encoding="utf-8", newline="") as f:
            text = f.read()
        doc = json.loads(text)
        entries.append({"id": id, "name": doc.get("name", ""), "description": doc.get("description", ""), "json": text})
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(entries, f, ensure_ascii=False, separators=(",", ":"))
    if wasm_path:
        with open(wasm_path, "rb") as f:
            wasm = f.read()
        embedded = [e["id"] for e in entries if e["json"].encode() in wasm]
        if embedded:
            sys.exit(f"{wasm_path} still embeds {len(embedded)} built-in scenarios ({embedded[0]}, ...): "
                     "the web crate must depend on redis-ha-sim with default-features = false")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    main(*sys.argv[1:])

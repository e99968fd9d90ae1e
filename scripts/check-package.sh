#!/usr/bin/env bash
# Checks the package as a user meets it: packs it (prepack builds from clean), then runs
# arethetypeswrong (every resolution mode) and publint on the tarball, installs the tarball
# into two fresh projects and type-checks them with skipLibCheck off:
#   - node: strict, ESM (.mts) and CommonJS (.cts), only wisp-rx installed; the compiled
#     files are run too (one WispError class across import and require);
#   - browser: no Node types at all (types: []), bundler resolution, DOM lib.
# Any problem fails the script (non-zero exit). Needs the npm registry (or its cache) only.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
fixtures="$root/scripts/check-package"
work="$(mktemp -d "${TMPDIR:-/tmp}/wisp-rx-check-XXXXXX")"
trap 'rm -rf "$work"' EXIT
bin="$root/node_modules/.bin"
step() { printf '\n== %s\n' "$*"; }

step "npm pack"
(cd "$root" && npm pack --silent --pack-destination "$work" >/dev/null)
tarball="$(ls "$work"/wisp-rx-*.tgz)"
tar -tzf "$tarball" | sed 's#^package/##' | grep -v '^dist/' | sort
for required in dist/cjs/index.js dist/esm/index.js dist/node/index.js dist/cjs/node.d.ts dist/cjs/node-client.d.ts dist/node/node-client.js dist/cjs/smux.d.ts dist/node/smux.js dist/cjs/yamux.d.ts dist/node/yamux.js dist/cjs/testing.d.ts LICENSE CHANGELOG.md README.md; do
  tar -tzf "$tarball" "package/$required" >/dev/null 2>&1 || { echo "missing from the tarball: $required" >&2; exit 1; }
done

step "arethetypeswrong (all resolution modes)"
"$bin/attw" "$tarball" --profile strict --no-emoji --no-color

step "publint"
publint_out="$("$bin/publint" run "$tarball" --strict 2>&1)" || { echo "$publint_out"; exit 1; }
echo "$publint_out"
# Suggestions do not change the exit code; the package has none either.
grep -q 'All good!' <<<"$publint_out" || { echo "publint reported something" >&2; exit 1; }

install_into() {
  local dir="$1"
  mkdir -p "$dir"
  cp -R "$fixtures/$(basename "$dir")/." "$dir/"
  (cd "$dir" && npm install --silent --prefer-offline --no-audit --no-fund --no-save "$tarball")
}

step "node project: strict, skipLibCheck false, ESM and CommonJS"
install_into "$work/node"
(cd "$work/node" && "$bin/tsc" -p tsconfig.json && node out/esm.mjs && node out/cjs.cjs)

step "browser project: no @types/node, skipLibCheck false"
install_into "$work/browser"
(cd "$work/browser" && "$bin/tsc" -p tsconfig.json)

step "package checks passed"

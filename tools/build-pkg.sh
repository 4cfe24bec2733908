#!/usr/bin/env bash
# Builds pkg/ (npm package asc-connector-wasm) from the crate: three modules, each with wasm-bindgen
# glue for the web target (ESM; used by Node import, workerd, Deno and browsers) and for the nodejs
# target (CJS; used by Node require), plus the hand-written entry shims and package.json in
# tools/pkg-template/:
#   pkg/              the full module (`gateway,inspect,fast-sign`: signer, inspection, planner,
#                     shaper, write bodies);
#   pkg/signer/       the signer alone (`--no-default-features --features fast-sign`, profile
#                     `signer`), the `asc-connector-wasm/signer` entry;
#   pkg/any-request/  the generic planner (`--features any-request-only`, profile `any-request`: loadSpecPack and
#                     planAnyRequest only), the `asc-connector-wasm/any-request` entry, with the spec
#                     pack beside the main module (spec-pack.mjs / .cjs);
#   pkg/triggers/     the trigger decisions the gateway uses (`--features triggers-only`), the
#                     `asc-connector-wasm/triggers` entry.
# Each module's shims are the same files as the full module's; only index.d.ts differs
# (tools/pkg-template/signer/, tools/pkg-template/any-request/, tools/pkg-template/triggers/).
# Usage: tools/build-pkg.sh [OUT_DIR]   (default: pkg)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-pkg}"
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)"
if ! wasm-bindgen --version 2>/dev/null | grep -q " ${WASM_BINDGEN_VERSION}$"; then
  echo "wasm-bindgen ${WASM_BINDGEN_VERSION} is missing: run 'make setup'" >&2
  exit 1
fi
# binaryen's wasm-opt, pinned in host/package.json (deterministic: same input, same bytes).
WASM_OPT="host/node_modules/.bin/wasm-opt"
if [ ! -x "$WASM_OPT" ]; then
  echo "wasm-opt is missing: run 'make setup-node' (binaryen is a dev dependency of host/)" >&2
  exit 1
fi
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
FLAGS=(--out-name asc_connector --remove-name-section --remove-producers-section --omit-default-module-path)

# optimize IN OUT: wasm-opt -Oz (the signer -4 %, the full module -1.5 % gzipped; BENCHMARKS.md),
# with the features rustc's wasm32 target emits by default.
optimize() {
  "$WASM_OPT" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue "$1" -o "$2"
}

# bindgen WASM DEST: glue + .wasm for one module into DEST, entry shims from tools/pkg-template/.
bindgen() {
  local wasm="$1" dest="$2" tmp
  tmp="$TMP/$(basename "$dest")"
  wasm-bindgen --target web --out-dir "$tmp/web" "${FLAGS[@]}" "$wasm"
  wasm-bindgen --target nodejs --out-dir "$tmp/node" "${FLAGS[@]}" "$wasm"
  mkdir -p "$dest"
  cp "$tmp/web/asc_connector.js" "$dest/asc_connector.js"
  cp "$tmp/web/asc_connector.d.ts" "$dest/asc_connector.d.ts"
  optimize "$tmp/web/asc_connector_bg.wasm" "$dest/asc_connector_bg.wasm"
  # The CommonJS glue loads its own copy of the module by name; point it at the shared .wasm when
  # the two builds are byte-identical, otherwise ship both.
  if cmp -s "$tmp/web/asc_connector_bg.wasm" "$tmp/node/asc_connector_bg.wasm"; then
    cp "$tmp/node/asc_connector.js" "$dest/asc_connector.cjs"
  else
    optimize "$tmp/node/asc_connector_bg.wasm" "$dest/asc_connector_node_bg.wasm"
    sed 's/asc_connector_bg\.wasm/asc_connector_node_bg.wasm/g' "$tmp/node/asc_connector.js" > "$dest/asc_connector.cjs"
  fi
  cp tools/pkg-template/index.*.mjs tools/pkg-template/index.*.cjs "$dest/"
  echo "built $dest: $(wc -c < "$dest/asc_connector_bg.wasm") bytes of wasm, $(gzip -9 -c "$dest/asc_connector_bg.wasm" | wc -c) gzipped"
}

RELEASE=target/wasm32-unknown-unknown/release/asc_connector.wasm
rm -rf "$OUT"
# The release builds share an output path: each is bound right after it is built.
cargo build --quiet --profile any-request --lib --target wasm32-unknown-unknown --no-default-features --features any-request-only
bindgen target/wasm32-unknown-unknown/any-request/asc_connector.wasm "$OUT/any-request"
cargo build --quiet --release --lib --target wasm32-unknown-unknown --no-default-features --features triggers-only
bindgen "$RELEASE" "$OUT/triggers"
cargo build --quiet --release --lib --target wasm32-unknown-unknown --no-default-features --features gateway,inspect,fast-sign
bindgen "$RELEASE" "$OUT"
cargo build --quiet --profile signer --lib --no-default-features --features fast-sign --target wasm32-unknown-unknown
bindgen target/wasm32-unknown-unknown/signer/asc_connector.wasm "$OUT/signer"
find tools/pkg-template -maxdepth 1 -type f ! -name 'index.*.mjs' ! -name 'index.*.cjs' ! -name README.md -exec cp {} "$OUT/" \;
cp tools/pkg-template/signer/* "$OUT/signer/"
cp tools/pkg-template/any-request/* "$OUT/any-request/"
cp tools/pkg-template/triggers/* "$OUT/triggers/"
# The error-code table is written once, in the repository README; the package README gets a copy of
# its rows (group labels without their source paths) in place of the marker line.
awk '/^\| Code \| HTTP \| Meaning \|$/ {on=1} on && !/^\|/ {exit} on {print}' README.md \
  | sed -E 's/^\| \*\*([^*(]*[^ *(]) *\([^)]*\)\*\* \|/| **\1** |/' > "$TMP/error-codes.md"
test -s "$TMP/error-codes.md" || { echo "README.md has no error-code table" >&2; exit 1; }
awk -v table="$TMP/error-codes.md" '/^<!-- error-code table:/ {while ((getline line < table) > 0) print line; next} {print}' \
  tools/pkg-template/README.md > "$OUT/README.md"
# The spec pack for planAnyRequest (kept out of the .wasm): spec-pack.mjs / spec-pack.cjs.
node tools/gen-spec-pack.mjs --out "$OUT" >/dev/null
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
sed -i "s/\"version\": \"0.0.0\"/\"version\": \"${VERSION}\"/" "$OUT/package.json"

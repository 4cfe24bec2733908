#!/usr/bin/env bash
# Builds pkg/ (npm package asc-connector-wasm) from the crate: one .wasm, wasm-bindgen glue for the
# web target (ESM; used by Node import, workerd, Deno and browsers) and for the nodejs target (CJS;
# used by Node require), plus the hand-written entry shims and package.json in tools/pkg-template/.
# Usage: tools/build-pkg.sh [OUT_DIR]   (default: pkg)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-pkg}"
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)"
if ! wasm-bindgen --version 2>/dev/null | grep -q " ${WASM_BINDGEN_VERSION}$"; then
  echo "wasm-bindgen ${WASM_BINDGEN_VERSION} is missing: run 'make setup'" >&2
  exit 1
fi
cargo build --quiet --release --lib --target wasm32-unknown-unknown
WASM=target/wasm32-unknown-unknown/release/asc_connector.wasm
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
FLAGS=(--out-name asc_connector --remove-name-section --remove-producers-section --omit-default-module-path)
wasm-bindgen --target web --out-dir "$TMP/web" "${FLAGS[@]}" "$WASM"
wasm-bindgen --target nodejs --out-dir "$TMP/node" "${FLAGS[@]}" "$WASM"
rm -rf "$OUT"
mkdir -p "$OUT"
cp "$TMP/web/asc_connector.js" "$OUT/asc_connector.js"
cp "$TMP/web/asc_connector.d.ts" "$OUT/asc_connector.d.ts"
cp "$TMP/web/asc_connector_bg.wasm" "$OUT/asc_connector_bg.wasm"
# The CommonJS glue loads its own copy of the module by name; point it at the shared .wasm when the
# two builds are byte-identical, otherwise ship both.
if cmp -s "$TMP/web/asc_connector_bg.wasm" "$TMP/node/asc_connector_bg.wasm"; then
  cp "$TMP/node/asc_connector.js" "$OUT/asc_connector.cjs"
else
  cp "$TMP/node/asc_connector_bg.wasm" "$OUT/asc_connector_node_bg.wasm"
  sed 's/asc_connector_bg\.wasm/asc_connector_node_bg.wasm/g' "$TMP/node/asc_connector.js" > "$OUT/asc_connector.cjs"
fi
cp tools/pkg-template/* "$OUT/"
# The spec pack for planAnyRequest (kept out of the .wasm): spec-pack.mjs / spec-pack.cjs.
node tools/gen-spec-pack.mjs --out "$OUT" >/dev/null
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
sed -i "s/\"version\": \"0.0.0\"/\"version\": \"${VERSION}\"/" "$OUT/package.json"
echo "built $OUT: $(wc -c < "$OUT/asc_connector_bg.wasm") bytes of wasm, $(gzip -9 -c "$OUT/asc_connector_bg.wasm" | wc -c) gzipped"

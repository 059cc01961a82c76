#!/usr/bin/env bash
# Installs everything the web build and its browser test need, from the package registries only,
# and only what is missing or at the wrong version (a second run takes seconds):
#   - the wasm32 standard library (rustup; else Debian's rust-web packages, see below)
#   - wasm-bindgen-cli at exactly the version in Cargo.lock
#   - trunk 0.21.14 (the newest that builds with Rust 1.95)
#   - binaryen 132's wasm-opt from npm, for size-measured builds (Debian's binaryen 108 silently
#     produces a broken module, so it is never used)
#   - Debian's chromium, and playwright-core from npm for tests/web (never a browser download)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132
TOOLS="$HOME/.cache/beat-paxos/tools"
export PATH="$HOME/.cargo/bin:$PATH"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_install() {
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# 1. The wasm32 standard library.
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "wasm32 target: installed"
elif rustup target add wasm32-unknown-unknown; then
  echo "wasm32 target: added with rustup"
else
  # Fallback when rustup cannot download: Debian's wasm std for its own rustc, built with
  # build-std. scripts/web.sh reads this file and sets the variables it names.
  echo "wasm32 target: rustup failed; using Debian's rust-web packages"
  apt_install rustc-web cargo-web rust-web-src libstd-rust-web-dev lld-19
  mkdir -p "$TOOLS/debian-cargo"
  ln -sf /usr/bin/cargo "$TOOLS/debian-cargo/cargo"
  cat > "$TOOLS/wasm-fallback.env" <<ENV
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
export CARGO_UNSTABLE_BUILD_STD=std,panic_abort CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-19
export PATH="$TOOLS/debian-cargo:\$PATH"
ENV
fi

# 2. wasm-bindgen-cli, exactly the library's version.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" = "$want" ]; then
  echo "wasm-bindgen-cli: $have"
else
  echo "wasm-bindgen-cli: installing $want (about 5 minutes)"
  # No TLS stack: only its test runner downloads anything, and the build never uses that.
  cargo install wasm-bindgen-cli --version "$want" --force --no-default-features
fi

# 3. trunk.
if trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION"; then
  echo "trunk: $TRUNK_VERSION"
else
  echo "trunk: installing $TRUNK_VERSION (about 8 minutes)"
  # Trunk's own release profile (fat LTO, one codegen unit) made this install 20 minutes of a cold
  # CI run; trunk's speed hardly matters (cargo and wasm-bindgen do the work), so it is built
  # without LTO at opt-level 1. Without TLS and the update check too: Trunk.toml keeps it offline.
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    cargo install trunk --version "$TRUNK_VERSION" --locked --force --no-default-features
fi

# 4. wasm-opt from npm's binaryen (used only by `scripts/web.sh size --wasm-opt`).
if [ -x "$TOOLS/node_modules/.bin/wasm-opt" ]; then
  echo "wasm-opt: binaryen $BINARYEN_VERSION"
else
  echo "wasm-opt: installing binaryen@$BINARYEN_VERSION from npm"
  mkdir -p "$TOOLS"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS" "binaryen@$BINARYEN_VERSION" >/dev/null
fi

# 5. The browser test: Debian's chromium and playwright-core (pinned in tests/web/package.json).
if command -v chromium >/dev/null 2>&1; then
  echo "chromium: $(chromium --version 2>/dev/null | head -1)"
else
  echo "chromium: installing Debian's package"
  apt_install chromium fonts-liberation
fi
if [ -d tests/web/node_modules/playwright-core ]; then
  echo "playwright-core: installed"
else
  echo "playwright-core: installing"
  (cd tests/web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --silent --no-audit --no-fund >/dev/null)
fi

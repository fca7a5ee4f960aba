#!/bin/sh
# Builds what amavis-tune ships, into target/:
#   target/debian/amavis-tune_VERSION-1_ARCH.deb  the CLI with its man page and shell completions
#   target/amavis-tune-web-VERSION.tar.gz         the static web calculator, for documentation sites
# Needs cargo-deb (cargo install cargo-deb --locked), the wasm32 target, and wasm-opt for the
# smallest site (see README, "The web calculator").
set -eu
cd "$(dirname "$0")/../.."
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)

cargo build --release --locked -p amavis-tune-cli
mkdir -p target/assets
target/release/amavis-tune man | gzip -9n > target/assets/amavis-tune.1.gz
target/release/amavis-tune completions bash > target/assets/amavis-tune.bash
target/release/amavis-tune completions zsh > target/assets/_amavis-tune
target/release/amavis-tune completions fish > target/assets/amavis-tune.fish
cargo deb --locked --no-build -p amavis-tune-cli --output target/debian/

site=target/site/amavis-tune-web-$version
rm -rf "$site"
cargo run --locked -p amavis-tune-tests --bin build-web -- "$site"
# Reproducible: sorted names, one date, no owner.
tar --sort=name --mtime='2026-01-01 00:00:00Z' --owner=0 --group=0 --numeric-owner \
    -C target/site -czf "target/amavis-tune-web-$version.tar.gz" "amavis-tune-web-$version"
ls -l target/debian/*.deb "target/amavis-tune-web-$version.tar.gz"

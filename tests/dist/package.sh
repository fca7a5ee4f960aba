#!/bin/sh
# Builds what amavis-tune ships, into target/:
#   target/debian/amavis-tune_VERSION-1_amd64.deb          the CLI, man page and shell completions
#   target/generate-rpm/amavis-tune-VERSION-1.x86_64.rpm   the same files, for the RHEL family
#   target/dist/amavis-tune-VERSION-x86_64-linux-musl.tar.gz   the same files, for any Linux
#   target/amavis-tune-web-VERSION.tar.gz                  the static web calculator
#   target/SHA256SUMS                                      the SHA-256 of each of them
# All three CLI packages carry one static binary (x86_64-unknown-linux-musl): a binary linked
# against this machine's glibc would need glibc 2.34 and not start on Debian 11 or RHEL 8.
# Needs cargo-deb and cargo-generate-rpm (README, "Installing"), the musl and wasm32 targets,
# and wasm-opt for the smallest site (see README, "The web calculator").
set -eu
cd "$(dirname "$0")/../.."
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
triple=x86_64-unknown-linux-musl

# Stripped: the packages carry no debug symbols (cargo-deb would strip; cargo-generate-rpm does not).
CARGO_PROFILE_RELEASE_STRIP=symbols cargo build --release --locked -p amavis-tune-cli --target "$triple"
bin=target/$triple/release/amavis-tune
mkdir -p target/assets
"$bin" man | gzip -9n > target/assets/amavis-tune.1.gz
"$bin" completions bash > target/assets/amavis-tune.bash
"$bin" completions zsh > target/assets/_amavis-tune
"$bin" completions fish > target/assets/amavis-tune.fish
cargo deb --locked --no-build -p amavis-tune-cli --target "$triple" --output target/debian/
rm -rf target/generate-rpm
mkdir -p target/generate-rpm
# gzip payload: every rpm reads it (zstd needs rpm 4.14 built with it).
cargo generate-rpm -p cli --target "$triple" --payload-compress gzip -o "target/generate-rpm/amavis-tune-$version-1.x86_64.rpm"

# The tarball: the binary, its man page and completions, the README; reproducible (sorted names,
# one date, no owner).
name=amavis-tune-$version-x86_64-linux-musl
stage=target/dist/$name
rm -rf "$stage"
mkdir -p "$stage/completions"
cp "$bin" "$stage/amavis-tune"
cp target/assets/amavis-tune.1.gz README.md "$stage/"
cp target/assets/amavis-tune.bash target/assets/_amavis-tune target/assets/amavis-tune.fish "$stage/completions/"
tar --sort=name --mtime='2026-01-01 00:00:00Z' --owner=0 --group=0 --numeric-owner \
    -C target/dist -czf "target/dist/$name.tar.gz" "$name"

site=target/site/amavis-tune-web-$version
rm -rf "$site"
cargo run --locked -p amavis-tune-tests --bin build-web -- "$site"
tar --sort=name --mtime='2026-01-01 00:00:00Z' --owner=0 --group=0 --numeric-owner \
    -C target/site -czf "target/amavis-tune-web-$version.tar.gz" "amavis-tune-web-$version"

(
    cd target
    sha256sum debian/amavis-tune_*.deb generate-rpm/amavis-tune-*.rpm "dist/$name.tar.gz" \
        "amavis-tune-web-$version.tar.gz" > SHA256SUMS
)
cat target/SHA256SUMS

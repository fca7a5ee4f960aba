#!/usr/bin/env bash
# Installs what amavis-tune's tests need beyond cargo, on Debian 12 with rustup's Rust, as root:
# real Postfix and amavisd-new (the oracles of the differential tests and the live lab's
# daemons), Chromium and chromedriver (the browser tests), MkDocs (the documentation-site
# example), the wasm32 target and wasm-opt (the web build), the musl target (the packages' static
# binary), and rustfmt and clippy (.ci/run).
# Idempotent: what is there is left alone.
#
#     sudo bash tests/install-deps.sh
#
# `cargo test --workspace` names this command after its summary when a test did not run.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
# Under sudo, rustup, cargo and npm's tools live in the invoking user's home.
if [ -n "${SUDO_USER:-}" ]; then
    user_home=$(getent passwd "$SUDO_USER" | cut -d: -f6)
    export PATH="$PATH:$user_home/.cargo/bin"
fi
export PATH="$PATH:/usr/sbin:/sbin:/usr/local/bin"

# Root is needed only for what is missing (so CI on a ready machine runs as any user).
need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: $1 is missing; run as root: sudo bash $0" >&2
        exit 1
    fi
}
updated=false
apt_install() {
    # apt_install [--no-install-recommends] PACKAGE...
    need_root "${*: -1}"
    if [ "$updated" = false ]; then
        apt-get update -qq
        updated=true
    fi
    apt-get install -y -qq "$@" >/dev/null
}

# Real Postfix and amavisd are the oracles of the differential tests and the daemons of the
# live lab (postfix brings its smtp-source and smtp-sink, the lab's load and sink; the packages
# create the postfix and amavis users the daemons run as). Without recommends: amavisd-new would
# otherwise bring SpamAssassin and more.
servers=()
for program in postconf postfix smtp-source smtp-sink; do
    command -v "$program" >/dev/null 2>&1 || { servers+=(postfix); break; }
done
command -v amavisd >/dev/null 2>&1 || servers+=(amavisd-new)
# SpamAssassin for the live lab's production-like amavisd (its shipped rules; no network tests).
command -v spamassassin >/dev/null 2>&1 || servers+=(spamassassin)
command -v run-parts >/dev/null 2>&1 || servers+=(debianutils)
if [ "${#servers[@]}" -gt 0 ]; then
    echo "install-deps: installing ${servers[*]}"
    echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
    echo "postfix postfix/mailname string ci.example.org" | debconf-set-selections
    apt_install --no-install-recommends "${servers[@]}"
fi

# The tests of apply's and restore's safety (issue 26) set ACLs and extended attributes
# (acl, attr), file flags (chattr, e2fsprogs), hold locks as another program would (flock,
# util-linux) and watch the order of the renames (strace).
tools=()
command -v setfacl >/dev/null 2>&1 || tools+=(acl)
command -v setfattr >/dev/null 2>&1 || tools+=(attr)
command -v chattr >/dev/null 2>&1 || tools+=(e2fsprogs)
command -v flock >/dev/null 2>&1 || tools+=(util-linux)
command -v strace >/dev/null 2>&1 || tools+=(strace)
# tcsh runs the FreeBSD 13 steps as that release's root shell (csh) does.
command -v tcsh >/dev/null 2>&1 || tools+=(tcsh)
if [ "${#tools[@]}" -gt 0 ]; then
    echo "install-deps: installing ${tools[*]}"
    apt_install --no-install-recommends "${tools[@]}"
fi

# Chromium and chromedriver run the browser tests; with recommends (fonts among them), as the
# browser tests were written against.
browser=()
command -v chromium >/dev/null 2>&1 || browser+=(chromium)
command -v chromedriver >/dev/null 2>&1 || browser+=(chromium-driver)
if [ "${#browser[@]}" -gt 0 ]; then
    echo "install-deps: installing ${browser[*]}"
    apt_install "${browser[@]}"
fi

# The Rust parts: rustfmt and clippy for .ci/run, the wasm32 target for the web build, the musl
# target for the packages' static binary. For the user who runs the tests when called through
# sudo.
as_user() {
    if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
        sudo -u "$SUDO_USER" env "PATH=$PATH" "$@"
    else
        "$@"
    fi
}
if as_user sh -c 'command -v rustup' >/dev/null 2>&1; then
    installed_components=$(as_user rustup component list --installed 2>/dev/null)
    for component in rustfmt clippy; do
        echo "$installed_components" | grep -q "^$component" || as_user rustup component add "$component"
    done
    for target in wasm32-unknown-unknown x86_64-unknown-linux-musl; do
        as_user rustup target list --installed | grep -q "^$target\$" || as_user rustup target add "$target"
    done
else
    echo "install-deps: rustup not found; install Rust with rustup (https://rustup.rs), then rerun" >&2
    exit 1
fi

# MkDocs builds the documentation-site example that the browser tests load: from PyPI where this
# Python has pip, else Debian's package.
if ! as_user sh -c 'command -v mkdocs' >/dev/null 2>&1; then
    if as_user python3 -m pip --version >/dev/null 2>&1 \
        && as_user python3 -m pip install --quiet --disable-pip-version-check mkdocs==1.6.1; then
        if as_user sh -c 'command -v pyenv' >/dev/null 2>&1; then as_user pyenv rehash || true; fi
    fi
    if ! as_user sh -c 'command -v mkdocs' >/dev/null 2>&1; then
        echo "install-deps: installing mkdocs"
        apt_install mkdocs
    fi
fi

# wasm-opt for the web build: npm's binaryen (Debian's is too old to read current Rust wasm).
if ! wasm-opt --version 2>/dev/null | grep -q 'version 1[2-9][0-9]'; then
    command -v npm >/dev/null 2>&1 || { echo "install-deps: installing npm"; apt_install npm; }
    need_root wasm-opt
    echo "install-deps: installing binaryen (wasm-opt)"
    npm install -g --silent binaryen@132.0.0
fi
# terser (minifies the web build's JavaScript glue) and axe-core (the browser tests' accessibility
# audit), at the versions tests/js/package-lock.json pins, into tests/js/node_modules.
js_dir="$(cd "$(dirname "$0")" && pwd)/js"
if ! [ -f "$js_dir/node_modules/terser/bin/terser" ] || ! [ -f "$js_dir/node_modules/axe-core/axe.min.js" ]; then
    command -v npm >/dev/null 2>&1 || { echo "install-deps: installing npm"; apt_install npm; }
    echo "install-deps: installing terser and axe-core (tests/js)"
    as_user npm ci --silent --no-audit --no-fund --prefix "$js_dir"
fi
echo "install-deps: everything the tests need is installed"

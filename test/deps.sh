#!/usr/bin/env bash
# test/deps.sh: make sure what `make test` needs is installed: the Check
# library (Debian package check, with pkg-config), curl, ps (procps), ip
# (iproute2), unshare (util-linux), groff (groff-base: the man page) and
# logrotate (contrib/logrotate is run by the install test). Installs with
# apt-get when missing and we can (root, or sudo without a password);
# otherwise says exactly what to install and fails.
set -u

need=()
pkg-config --exists check 2>/dev/null || need+=(check pkg-config)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v ps >/dev/null 2>&1 || need+=(procps)
# private networks for the name tests: ip (iproute2), unshare (util-linux)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
# the install test: the man page renders, contrib/logrotate rotates
command -v groff >/dev/null 2>&1 || need+=(groff-base)
command -v logrotate >/dev/null 2>&1 || need+=(logrotate)
[ ${#need[@]} -eq 0 ] && exit 0

echo "test/deps.sh: missing test dependencies: ${need[*]}"
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
else
    echo "test/deps.sh: cannot install them (not root, no sudo): run" >&2
    echo "    apt-get install -y ${need[*]}" >&2
    exit 1
fi
echo "test/deps.sh: installing with apt-get: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y -q "${need[@]}" >/dev/null; then
    $sudo apt-get update -q >/dev/null && \
        $sudo apt-get install -y -q "${need[@]}" >/dev/null || {
        echo "test/deps.sh: apt-get failed: install ${need[*]} by hand" >&2
        exit 1
    }
fi
echo "test/deps.sh: installed ${need[*]}"

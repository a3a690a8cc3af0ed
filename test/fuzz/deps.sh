#!/usr/bin/env bash
# test/fuzz/deps.sh: make sure what `make fuzz` needs is installed: clang
# (Debian package clang), its libFuzzer and sanitizer runtimes
# (libclang-rt-dev) and llvm-symbolizer for readable reports (llvm).
# Installs with apt-get when missing and we can (root, or sudo without a
# password); otherwise says exactly what to install and fails.
set -u

cc=${FUZZ_CC:-clang}
need=()
probe() {
    local dir rc
    dir=$(mktemp -d) || return 1
    printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void) d; (void) n; return 0; }' \
        >"$dir/probe.c"
    "$cc" -fsanitize=fuzzer,address,undefined -o "$dir/probe" "$dir/probe.c" \
        >/dev/null 2>&1
    rc=$?
    rm -rf "$dir"
    return $rc
}
if ! command -v "$cc" >/dev/null 2>&1; then
    need+=(clang libclang-rt-dev)
elif ! probe; then
    need+=(libclang-rt-dev)
fi
command -v llvm-symbolizer >/dev/null 2>&1 || need+=(llvm)
[ ${#need[@]} -eq 0 ] && exit 0

echo "test/fuzz/deps.sh: missing fuzzing dependencies: ${need[*]}"
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
else
    echo "test/fuzz/deps.sh: cannot install them (not root, no sudo): run" >&2
    echo "    apt-get install -y ${need[*]}" >&2
    exit 1
fi
echo "test/fuzz/deps.sh: installing with apt-get: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y -q "${need[@]}" >/dev/null; then
    $sudo apt-get update -q >/dev/null && \
        $sudo apt-get install -y -q "${need[@]}" >/dev/null || {
        echo "test/fuzz/deps.sh: apt-get failed: install ${need[*]} by hand" >&2
        exit 1
    }
fi
if ! probe; then
    echo "test/fuzz/deps.sh: $cc still cannot link -fsanitize=fuzzer" \
         "(install clang and libclang-rt-dev by hand)" >&2
    exit 1
fi
echo "test/fuzz/deps.sh: installed ${need[*]}"

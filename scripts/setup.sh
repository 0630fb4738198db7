#!/bin/bash
# scripts/setup.sh — sourced by scripts/demo and scripts/check: installs missing Debian
# packages, reruns autogen.sh / configure when stale, builds with make -j2 at the repo root.
# scripts/bench sources it for hk_install_bench_packages alone.
#
# Environment: CFLAGS (passed to make; to configure without -Werror, which breaks its
# probes), HK_CONFIGURE_FLAGS (extra ./configure arguments, split on blanks).

HK_PACKAGES=(autoconf automake libtool pkg-config make gcc g++ check libunwind-dev libdw-dev
             libsqlite3-dev libncurses-dev sqlite3 python3 tmux strace
             libprotobuf-c-dev protobuf-c-compiler zlib1g-dev protobuf-compiler golang-go
             heaptrack zstd chromium)
# libprotobuf-c-dev, protobuf-c-compiler, zlib1g-dev: export --format pprof; protobuf-compiler
# (protoc --decode) and golang-go (go tool pprof): the tests that read its output back;
# heaptrack and zstd (zstdcat, its data files): the test comparing its top sites with ours;
# chromium: tests/cli/html.sh renders the HTML report headless (DOM, screenshot).
HK_MAKE_VARS=()   # set by hk_build: CFLAGS=... when CFLAGS is in the environment

# Prints the Debian packages of HK_PACKAGES that are not installed.
hk_missing_packages() {
    local p
    for p in "${HK_PACKAGES[@]}"; do
        if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
            echo "$p"
        fi
    done
}

# Installs missing packages with apt-get, through sudo when not root.
hk_install_packages() {
    local missing sudo=()
    if ! command -v dpkg-query >/dev/null; then
        echo "setup: dpkg-query not found (not Debian?); make sure these are installed: ${HK_PACKAGES[*]}"
        return 0
    fi
    missing=$(hk_missing_packages | tr '\n' ' ')
    [ -n "$missing" ] || return 0
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null; then
            echo "setup: missing packages: $missing; expected root or sudo to install them, got neither" >&2
            return 1
        fi
        sudo=(sudo)
    fi
    echo "setup: installing missing packages: $missing"
    # shellcheck disable=SC2086 # $missing is a list of package names
    ${sudo[@]+"${sudo[@]}"} apt-get update &&
        ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
}

# Prints CFLAGS without -Werror and -Werror=...: configure probes must not fail on warnings.
hk_configure_cflags() {
    local f in=() out=()
    read -r -a in <<<"${CFLAGS-}"
    for f in ${in[@]+"${in[@]}"}; do
        case $f in -Werror | -Werror=*) ;; *) out+=("$f") ;; esac
    done
    echo "${out[*]-}"
}

# autogen.sh when configure is missing or stale, configure when Makefile is, then make.
hk_build() {
    local cfg=()
    read -r -a cfg <<<"${HK_CONFIGURE_FLAGS:-}"
    if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
        echo "setup: ./autogen.sh"
        ./autogen.sh
    fi
    if [ ! -f Makefile ] || [ ! -f config.status ] || [ configure -nt config.status ]; then
        echo "setup: ./configure ${cfg[*]-}"
        if [ -n "${CFLAGS+set}" ]; then
            CFLAGS=$(hk_configure_cflags) ./configure ${cfg[@]+"${cfg[@]}"}
        else
            ./configure ${cfg[@]+"${cfg[@]}"}
        fi
    fi
    HK_MAKE_VARS=()
    if [ -n "${CFLAGS+set}" ]; then
        HK_MAKE_VARS=("CFLAGS=$CFLAGS")
    fi
    # make does not rebuild when only CFLAGS changed (say, -Werror added): clean then.
    local stamp=.hk-build-cflags want="CFLAGS=${CFLAGS-<configure default>}"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" != "$want" ]; then
        echo "setup: flags changed ($(cat "$stamp") -> $want): make clean"
        make clean >/dev/null
    fi
    echo "$want" >"$stamp"
    echo "setup: make -j2 ${HK_MAKE_VARS[*]-}"
    make -j2 ${HK_MAKE_VARS[@]+"${HK_MAKE_VARS[@]}"}
}

# The whole setup, from the repository root whatever the caller's directory.
hk_setup() {
    cd "$(dirname "${BASH_SOURCE[0]}")/.." || return 1
    hk_install_packages || return 1
    hk_build
}

# What scripts/bench needs beyond the build, not installed by hk_setup (scripts/check):
# the allocators it compares, valgrind (callgrind), strace, GNU time (peak RSS), gnuplot
# (the plot), Electric Fence (the heap-check comparison); sqlite3 keeps its rows and
# python3 (with its sqlite3 module) renders them (scripts/bench-report).
HK_BENCH_PACKAGES=(libmimalloc2.0 libjemalloc2 libgoogle-perftools4 valgrind strace time gnuplot-nox
                   electric-fence sqlite3 python3 heaptrack)

# Installs the missing HK_BENCH_PACKAGES as root or through sudo. Never fails: the bench
# leaves out what it cannot run (an allocator, the plot, callgrind).
hk_install_bench_packages() {
    local p missing=() sudo=()
    command -v dpkg-query >/dev/null || return 0
    for p in "${HK_BENCH_PACKAGES[@]}"; do
        [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "setup: not root and no sudo: cannot install ${missing[*]}" >&2; return 0; }
        sudo=(sudo)
    fi
    echo "setup: installing ${missing[*]}" >&2
    ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 ||
        { ${sudo[@]+"${sudo[@]}"} apt-get update -q >&2 &&
            ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2; } ||
        echo "setup: could not install ${missing[*]}; going on without" >&2
    return 0
}

# Run directly (not sourced): just set up.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -eu
    hk_setup
fi

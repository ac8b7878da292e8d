# Shared by scripts/run and scripts/test: dependency installation and the build.
# shellcheck shell=bash

PREQUAL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian 12 packages the build, the tests and the README examples need.
PREQUAL_PACKAGES=(
    g++ cmake ninja-build ccache pkg-config git
    libboost1.81-all-dev libboost-json1.81-dev
    libpq-dev postgresql
    libbotan-2-dev libfmt-dev catch2
    librdkafka-dev kcat
    curl iproute2 python3
    libssl-dev openssl
)

prequal_log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Installs whatever is missing (as root), or prints the exact apt-get line to run (otherwise).
prequal_install_deps() {
    local missing=() pkg
    for pkg in "${PREQUAL_PACKAGES[@]}" "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -eq 0 ]; then
        prequal_log "installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "Missing packages. Install them with:" >&2
        echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
        exit 1
    fi
}

# prequal_build BUILD_DIR BUILD_TYPE [extra cmake args...]
prequal_build() {
    local dir="$1" type="$2"
    shift 2
    export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
    export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
    if [ ! -f "$dir/build.ninja" ]; then
        cmake -S "$PREQUAL_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
    fi
    local jobs
    jobs="$(nproc)"
    prequal_log "building in $dir ($type, $jobs jobs)"
    cmake --build "$dir" -j "$jobs"
}

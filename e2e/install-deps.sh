#!/usr/bin/env bash
# Makes a Debian machine ready for the Playwright end-to-end suite:
#   - Debian's Chromium (/usr/bin/chromium); Playwright never downloads a browser
#   - the npm dev dependencies from package-lock.json
# Idempotent: does nothing (and prints nothing) when both are already in place.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

apt_updated=0
apt_install() {
    if [ "$apt_updated" -eq 0 ]; then
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        apt_updated=1
    fi
    $SUDO env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Chromium, plus fonts so screenshots render text.
if [ ! -x /usr/bin/chromium ]; then
    echo "install-deps: installing Debian chromium"
    apt_install chromium fonts-liberation fonts-dejavu-core
fi

# Node.js and npm (the machine normally has them; Playwright needs Node >= 20).
if ! command -v npm >/dev/null 2>&1; then
    echo "install-deps: installing Debian nodejs and npm"
    apt_install nodejs npm
fi

# npm ci records node_modules/.package-lock.json; a package-lock.json newer
# than that means the dependencies changed since the last install.
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] \
    || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "install-deps: npm ci"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi

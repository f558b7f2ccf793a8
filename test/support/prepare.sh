#!/usr/bin/env bash
# Runs before `npm test` (npm's pretest): the tools the suite needs besides npm packages.
#   - python moto 5 with its server: AWS, locally (integration and end-to-end tests)
#   - Debian's chromium: the dashboard test drives it through playwright-core (never a downloaded browser)
#   - Debian's faketime: the suite runs again with the hub's clock a year ahead and a year behind
# Each missing one is installed from Debian's packages or PyPI when this machine allows it (root
# with apt-get / pip); otherwise this says what to install and stops the run before any test.
set -uo pipefail

missing_apt=()
[ -n "${HUB_CHROMIUM:-}" ] && [ -x "${HUB_CHROMIUM}" ] || [ -x /usr/bin/chromium ] || missing_apt+=(chromium)
command -v faketime >/dev/null 2>&1 || missing_apt+=(faketime)
need_moto=0
command -v moto_server >/dev/null 2>&1 || python3 -c 'import moto.server' >/dev/null 2>&1 || need_moto=1

can_install() { [ "$(id -u)" = 0 ] && command -v "$1" >/dev/null 2>&1; }

if [ ${#missing_apt[@]} -gt 0 ]; then
  if can_install apt-get; then
    echo "npm test: installing Debian's ${missing_apt[*]} for the test suite" >&2
    apt-get update -qq >/dev/null &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_apt[@]}" >/dev/null ||
      { echo "npm test: could not install ${missing_apt[*]} with apt-get (see above)" >&2; exit 1; }
  else
    echo "npm test needs Debian's ${missing_apt[*]} and cannot install it here (not root, or no apt-get)." >&2
    echo "  Install it:  sudo apt-get install ${missing_apt[*]}" >&2
    echo "  (or point HUB_CHROMIUM at a Chromium binary you already have)" >&2
    exit 1
  fi
fi

if [ "$need_moto" = 1 ]; then
  if command -v python3 >/dev/null 2>&1; then
    echo "npm test: installing python moto[server] 5 (AWS, locally)" >&2
    python3 -m pip install --quiet 'moto[server]>=5,<6' 2>/dev/null ||
      python3 -m pip install --quiet --break-system-packages 'moto[server]>=5,<6' ||
      { echo "npm test: could not install moto; install it with: python3 -m pip install 'moto[server]>=5,<6'" >&2; exit 1; }
  else
    echo "npm test needs python3 with moto 5: apt-get install python3 python3-pip, then python3 -m pip install 'moto[server]>=5,<6'" >&2
    exit 1
  fi
fi
exit 0

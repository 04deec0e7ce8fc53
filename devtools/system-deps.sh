#!/usr/bin/env bash
# Install the Debian packages the broker's tests and demo run against, when missing.
# Real parts, not stand-ins: slapd for LDAP, xmlsec1 for SAML signatures,
# Chromium for end-to-end tests (and npm for axe-core, its accessibility pass),
# docker-compose to validate the compose file,
# node and npm to run the OpenID Connect provider (npm oidc-provider) of the demo and tests.
set -euo pipefail

need=()
have_cmd() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

for pkg in slapd ldap-utils libldap2-dev libsasl2-dev xmlsec1 libxmlsec1-dev pkg-config \
           redis-server chromium chromium-driver docker-compose; do
  have_pkg "$pkg" || need+=("$pkg")
done
# node and npm by command: a machine may have them from another source (e.g. NodeSource's nodejs).
have_cmd node || need+=(nodejs)
have_cmd npm || need+=(npm)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "system-deps: installing ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then
  if have_cmd sudo; then SUDO=sudo; else
    echo "system-deps: need root to install: ${need[*]}" >&2; exit 1
  fi
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

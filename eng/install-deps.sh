#!/usr/bin/env bash
# Installs the Debian packages SharpGears needs, only those missing:
#   eng/install-deps.sh run     redis-server (the embedded default backend)
#   eng/install-deps.sh test    + redis-tools (redis-cli) and python3-redis (clients the tests use),
#                               postgresql (the throwaway servers tests read from)
#   eng/install-deps.sh bench   + nutcracker (twemproxy, the peer the gateway is measured against)
set -euo pipefail
packages=(redis-server redis-tools)
case "${1:-run}" in
  run) ;;
  test) packages+=(python3-redis postgresql) ;;
  bench) packages+=(python3-redis nutcracker bc) ;;
  *) echo "usage: $0 run|test|bench" >&2; exit 2 ;;
esac
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
sudo=""
[[ $(id -u) -eq 0 ]] || sudo=sudo
echo "Installing ${missing[*]} ..." >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null

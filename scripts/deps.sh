#!/usr/bin/env bash
# Installs the Debian 12 packages the ledger needs to build and test, if any
# is missing. docs/dependencies.md says why each one is here.
set -euo pipefail

packages=(
  build-essential meson ninja-build pkg-config
  libsodium-dev liblmdb-dev libevent-dev libssl-dev openssl
  libprotobuf-c-dev protobuf-c-compiler
  libcmocka-dev libjansson-dev libqrencode-dev libpng-dev zbar-tools
  chromium chromium-driver python3-selenium
  valgrind python3 scdoc man-db systemd
  gettext locales
  protobuf-compiler python3-protobuf python3-nacl python3-openssl python3-prometheus-client
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# French messages (LANG=fr_FR.UTF-8) need the locale generated; the tests
# run a few commands under it.
if ! locale -a 2>/dev/null | grep -qi '^fr_FR\.utf-\?8$'; then
  echo "generating the fr_FR.UTF-8 locale"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" sed -i 's/^# *fr_FR.UTF-8 UTF-8/fr_FR.UTF-8 UTF-8/' /etc/locale.gen
  grep -q '^fr_FR.UTF-8 UTF-8' /etc/locale.gen || echo 'fr_FR.UTF-8 UTF-8' | "${sudo_cmd[@]}" tee -a /etc/locale.gen >/dev/null
  "${sudo_cmd[@]}" locale-gen >/dev/null
fi

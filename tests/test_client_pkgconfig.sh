#!/bin/sh
# After `meson install`, a till's build finds libmanne with pkg-config:
# the installed header and library compile and link the till example, and
# it runs (printing its usage). Installed into a temporary DESTDIR.
# Skipped (77) in sanitizer builds, whose library needs the sanitizer runtime.
set -eu
build=$1 example=$2 sanitize=$3 cc=$4
if [ "$sanitize" != none ]; then
  echo "SKIP: a sanitizer build's libmanne needs the sanitizer runtime to link"
  exit 77
fi
dest=$(mktemp -d /tmp/manne-install-XXXXXX)
trap 'rm -rf "$dest"' EXIT
meson install -C "$build" --no-rebuild --destdir "$dest" >"$dest/install.log" 2>&1 || {
  cat "$dest/install.log"; exit 1; }
pc=$(find "$dest" -name manne.pc | head -1)
[ -n "$pc" ] || { echo "manne.pc not installed"; exit 1; }
header=$(find "$dest" -name manne.h | head -1)
[ -n "$header" ] || { echo "manne.h not installed"; exit 1; }
find "$dest" -name 'libmanne.so*' | grep -q . || { echo "libmanne.so not installed"; exit 1; }
find "$dest" -name 'libmanne.a' | grep -q . || { echo "libmanne.a not installed"; exit 1; }
export PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_SYSROOT_DIR="$dest"
cflags=$(pkg-config --cflags manne)
libs=$(pkg-config --libs manne)
echo "pkg-config --cflags --libs manne: $cflags $libs"
"$cc" -std=c17 -Wall -Wextra -Werror $cflags "$example" -o "$dest/till" $libs
libdir=$(dirname "$(find "$dest" -name 'libmanne.so' | head -1)")
status=0
LD_LIBRARY_PATH="$libdir" "$dest/till" >"$dest/out" 2>&1 || status=$?
cat "$dest/out"
[ "$status" -eq 2 ] && grep -q "usage: till" "$dest/out"
# Only the public API is exported.
if nm -D --defined-only "$libdir/libmanne.so" | awk '{print $3}' | grep -v '^manne_' | grep -q .; then
  echo "libmanne.so exports symbols outside manne_*:"; nm -D --defined-only "$libdir/libmanne.so" | grep -v ' manne_'
  exit 1
fi
echo ok

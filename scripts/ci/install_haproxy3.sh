#!/bin/sh
# Installs Debian 13's HAProxy 3.0 LTS on a Debian 12 machine, beside Debian
# 12's HAProxy 2.6, without touching the system's libraries:
#
#   scripts/ci/install_haproxy3.sh [PREFIX]      (default /opt/haproxy3, run as root)
#
# Debian 13 (trixie) builds HAProxy 3.0 for glibc 2.38+, so the package and the
# trixie libraries it needs (its own libc and loader included) are fetched with
# `apt-get download`, unpacked under PREFIX/root with `dpkg -x`, and the trixie
# source is removed again so the machine stays on bookworm. The binary is then
# copied to PREFIX/haproxy3 and patched with patchelf (interpreter: trixie's
# ld-linux under PREFIX; rpath: PREFIX's library directory), so it starts as a
# normal program: launched through `ld-linux ... haproxy` instead, HAProxy's
# master-worker mode re-executes /proc/self/exe (the loader) and the reload
# fails. PREFIX/bin/haproxy links to it, so `PATH=PREFIX/bin:$PATH haproxy`
# (or HAPROXY3=PREFIX/bin/haproxy, as tests/_helpers/haproxy3.ts reads it)
# finds HAProxy 3.0. The OpenTracing wrapper is the one of Debian 12's haproxy
# package (bookworm's libopentracing-c-wrapper0, installed here if missing).
#
# The paths of PREFIX are written into the binary: move the directory and the
# binary stops starting; run this script again instead.
set -eu

PREFIX=${1:-/opt/haproxy3}
case "$PREFIX" in
/*) ;;
*)
  echo "install_haproxy3: PREFIX must be an absolute path, not '$PREFIX'" >&2
  exit 2
  ;;
esac
LIBDIR="$PREFIX/root/usr/lib/x86_64-linux-gnu"
TRIXIE_LIST=/etc/apt/sources.list.d/stapled-trixie.list
PACKAGES="haproxy libc6 libssl3t64 liblua5.4-0 libpcre2-8-0 libzstd1 liblzma5 libcrypt1 \
libsystemd0 libcap2 libgcc-s1 libjemalloc2 zlib1g liblz4-1 libgcrypt20 libgpg-error0"

if [ "$(uname -m)" != x86_64 ]; then
  echo "install_haproxy3: only x86_64 is supported (found $(uname -m))" >&2
  exit 2
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=""
command -v patchelf >/dev/null 2>&1 || missing="$missing patchelf"
dpkg -s libopentracing-c-wrapper0 >/dev/null 2>&1 || missing="$missing libopentracing-c-wrapper0"
if [ -n "$missing" ]; then
  as_root apt-get update -qq
  # shellcheck disable=SC2086
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

# Always leave the machine on bookworm, even when a download fails.
remove_trixie() {
  if [ -e "$TRIXIE_LIST" ]; then
    as_root rm -f "$TRIXIE_LIST"
    as_root apt-get update -qq || true
  fi
}
trap remove_trixie EXIT INT TERM

echo "deb http://deb.debian.org/debian trixie main" | as_root tee "$TRIXIE_LIST" >/dev/null
as_root apt-get update -qq

as_root mkdir -p "$PREFIX/debs" "$PREFIX/bin"
as_root rm -rf "$PREFIX/root"
cd "$PREFIX/debs"
as_root rm -f ./*.deb
# apt downloads as _apt when that user may write here (else it warns and downloads as root).
as_root chown _apt "$PREFIX/debs" 2>/dev/null || true
for pkg in $PACKAGES; do
  as_root apt-get download -qq "$pkg/trixie"
done
remove_trixie
trap - EXIT INT TERM

for deb in ./*.deb; do
  as_root dpkg -x "$deb" "$PREFIX/root"
done

as_root cp "$PREFIX/root/usr/sbin/haproxy" "$PREFIX/haproxy3"
as_root patchelf --set-interpreter "$LIBDIR/ld-linux-x86-64.so.2" --set-rpath "$LIBDIR" \
  --force-rpath "$PREFIX/haproxy3"
as_root ln -sfn "$PREFIX/haproxy3" "$PREFIX/bin/haproxy"

"$PREFIX/bin/haproxy" -v | head -n 1

#!/bin/sh
# audit/linux-source.sh - install Debian's linux-source-6.1 and unpack it
# outside the repository, for the `pinmm audit` run of docs/audit.md.
#
#   audit/linux-source.sh [DIR]     (DIR: default /var/tmp/linux)
#
# Prints the path of the unpacked tree.  Nothing is written into the
# repository; the tree is never committed.  Needs root for apt-get (or the
# package already installed).
set -eu
dir=${1:-/var/tmp/linux}
tarball=/usr/src/linux-source-6.1.tar.xz
case "$dir" in
  "$(git rev-parse --show-toplevel 2>/dev/null || echo /nonexistent)"*)
    echo "linux-source.sh: $dir is inside the repository; choose another" >&2; exit 2;;
esac
if [ ! -f "$tarball" ]; then
  apt-get install -y linux-source-6.1 >&2
fi
if [ ! -d "$dir/linux-source-6.1" ]; then
  mkdir -p "$dir"
  tar -xJf "$tarball" -C "$dir"
fi
echo "$dir/linux-source-6.1"

#!/bin/sh
# kbuild's CHECK for our Intel glue: runs Debian's sparse on the files
# scripts/intel-src.sh copied in (intel/<drv>/<drv>_wirecap*.c) and on
# nothing else, upstream files included; set by scripts/build-modules.sh
# when WIRECAP_SPARSE names a file, where what sparse says is appended.
#
#   (kbuild) sparse-glue.sh <sparse flags> <compiler flags> <file.c>
set -u
for f; do :; done
case ${f:-} in
*/intel/e1000e/e1000e_wirecap*.c | */intel/ixgbe/ixgbe_wirecap*.c) ;;
*) exit 0 ;;
esac
log=${WIRECAP_SPARSE:-/dev/null}
echo "sparse: checked ${f##*/intel/}" >>"$log"
# sparse writes its findings on stderr: to the build's output and the log.
out=$(sparse "$@" 2>&1)
rc=$?
if [ -n "$out" ]; then
	printf '%s\n' "$out" >&2
	printf '%s\n' "$out" >>"$log"
fi
exit $rc

#!/bin/sh
# /sbin/init of the guest's NFS root (installed by tests/guest/rootfs.sh):
# run /exercise, report on the console, power off.
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "PNB-STEP init t=$(cut -d' ' -f1 /proc/uptime)"
grep ' / ' /proc/mounts | sed 's/^/# root mount: /'
/exercise
rc=$?
sync
echo "PNB-EXERCISE rc=$rc t=$(cut -d' ' -f1 /proc/uptime)"
poweroff -f

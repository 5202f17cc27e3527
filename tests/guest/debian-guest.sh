# debian-guest.sh - sourced by tests/integ/t_real_os.sh and t_service.sh:
# booting the Debian tree of debian-tree.sh in QEMU (TCG) on a tap port of
# the switch namespace, and finding its address. Needs lib.sh's start_bg,
# ns_exec and $PNB_TMP, and $QEMU_TIMEOUT.

# guest_boot NAME KERNEL INITRD CMDLINE_FILE TAP MAC CONSOLE: power on a
# guest with the Pi's kernel, initrd and served cmdline.txt (console=ttyS0
# added when missing), its serial console written to CONSOLE. Runs in the
# background as "qemu-NAME" under a hard timeout.
guest_boot() {
	local name=$1 kernel=$2 initrd=$3 cmdline=$4 tap=$5 mac=$6 console=$7 append
	append=$(tr -d '\n' <"$cmdline")
	case " $append " in *" console=ttyS0"*) ;; *) append="console=ttyS0 $append" ;; esac
	: >"$console"
	start_bg "qemu-$name" ns_exec sw timeout --kill-after=10 "$QEMU_TIMEOUT" \
		qemu-system-x86_64 -accel tcg -m 1024 -smp 1 -nodefaults -display none \
		-serial "file:$console" -monitor none \
		-kernel "$kernel" -initrd "$initrd" -append "$append" \
		-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" \
		-device "virtio-net-pci,netdev=n0,mac=$mac"
}

# console_tail_of FILE [N]: the last N lines of a console, escapes removed.
console_tail_of() { tail -n "${2:-30}" "$1" | tr -d '\r' | sed 's/\x1b\[[0-9;]*[a-zA-Z]//g'; }

# guest_addr_of BIN DATA ID: the Pi's last address as `pinetboot list`
# shows it (the server's own until the Pi's DHCP, when the caller fetched
# its boot files: callers ignore that one).
guest_addr_of() {
	"$1" list --json --data "$2" 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["id"] == sys.argv[1] and r["last_address"] not in ("", "-"):
        print(r["last_address"]); break
' "$3"
}

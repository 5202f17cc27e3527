# shellcheck shell=bash
# nfs-servers.sh - start the NFS servers the guest test and the NFS benchmark
# compare, inside a network namespace. Source after tests/integ/lib.sh.
#
#   ganesha_start NAME NS EXPORT=DIR...   nfs-ganesha (FSAL VFS, NFSv3 only,
#                                         TCP+UDP, no_root_squash), with its
#                                         own rpcbind; log $PNB_TMP/NAME.log
#   nfs_server_stop NAME                  stop a server started here or with
#                                         start_bg (and ganesha's rpcbind)
#   nfs_ready NS                          TCP 111 and 2049 listening in NS
#   vm_hwm_kb PID                         peak RSS (VmHWM) of PID, in kB
#   serving_pid PID                       pinetboot's serving child of PID, else PID
#
# nfs-ganesha refuses to start when it cannot register with a portmapper, and
# klibc nfsmount asks the portmapper for the NFS port anyway, so ganesha gets
# an rpcbind of its own. rpcbind's socket path (/run/rpcbind.sock) is global,
# so both run in a private mount namespace with a tmpfs on /run: nothing on
# the host (or in another test run) sees or collides with them. The rpcbind
# PID goes to $PNB_TMP/NAME.rpcbind.pid and is killed (by PID) at cleanup.

ganesha_start() {
	local name=$1 nsn=$2 conf dir id=0 e pseudo path full
	shift 2
	conf="$PNB_TMP/$name.conf"
	mkdir -p "$PNB_TMP/$name.recov"
	cat >"$conf" <<EOC
NFS_CORE_PARAM {
	Protocols = 3;
	NFS_Port = 2049;
	MNT_Port = 20048;
	Enable_NLM = false;
	Enable_RQUOTA = false;
	Mount_Path_Pseudo = true;
}
NFSV4 {
	Graceless = true;
	RecoveryBackend = fs;
	RecoveryRoot = "$PNB_TMP/$name.recov";
}
NFS_KRB5 { Active_krb5 = false; }
LOG { Default_Log_Level = EVENT; }
EOC
	for e in "$@"; do
		pseudo=${e%%=*}
		path=${e#*=}
		id=$((id + 1))
		cat >>"$conf" <<EOC
EXPORT {
	Export_Id = $id;
	Path = "$path";
	Pseudo = "$pseudo";
	Protocols = 3;
	Transports = TCP, UDP;
	Access_Type = RW;
	Squash = No_Root_Squash;
	SecType = sys;
	Disable_ACL = true;
	FSAL { Name = VFS; }
}
EOC
	done
	full=$(ns "$nsn")
	dir=$PNB_TMP
	# One process tree: unshare execs sh, which starts rpcbind and then
	# execs ganesha, so PNB_PIDS[NAME] is ganesha's PID.
	# shellcheck disable=SC2016 # the script's $ are for the inner sh
	start_bg "$name" ip netns exec "$full" unshare -m --propagation private sh -c '
		mount -t tmpfs -o mode=755 tmpfs /run || exit 1
		mkdir -p /run/rpcbind /run/ganesha
		rpcbind -f &
		echo $! >"$1/$2.rpcbind.pid"
		i=0
		while [ ! -S /run/rpcbind.sock ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		exec ganesha.nfsd -F -f "$3" -L /dev/stdout -p "$1/$2.pid"
	' sh "$dir" "$name" "$conf"
	on_cleanup "_rpcbind_stop '$dir/$name.rpcbind.pid'"
	wait_for nfs_ready "$nsn" 20
}

# _rpcbind_stop PIDFILE: the rpcbind ganesha_start started (by its PID).
_rpcbind_stop() {
	local pid i
	pid=$(cat "$1" 2>/dev/null) || return 0
	rm -f "$1"
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 30; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
}

nfs_server_stop() {
	stop_bg "$1" "${2:-10}"
	local rc=$?
	_rpcbind_stop "$PNB_TMP/$1.rpcbind.pid"
	return "$rc"
}

# tcp_listening NS PORT
tcp_listening() {
	ns_exec "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q .
}

nfs_ready() {
	tcp_listening "$1" 111 && tcp_listening "$1" 2049
}

# serving_pid PID: the process that serves: pinetboot's serving child under
# privilege separation (its root parent only keeps the mounts), else PID.
serving_pid() {
	local c
	c=$(pgrep -P "$1" -x pinetboot | head -n 1)
	echo "${c:-$1}"
}

vm_hwm_kb() {
	sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null
}

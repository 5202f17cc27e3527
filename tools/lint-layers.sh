#!/bin/sh
# lint-layers.sh - the include rules between src/ folders (issue 10,
# "One place per concept"). Fails with file:line on a forbidden edge.
#
# The layers, bottom up (a folder may include its own headers and those
# listed after it; nothing else):
#
#   core      -> (nothing)        loop, buffers, log, net, events
#   pi        -> core             the Pi model: ids, registry, discovery, access rule
#   dhcp      -> core pi          DHCP codec, Pi recognition, proxy/full handlers
#   tftp      -> core pi          TFTP codec, files, server
#   nfs       -> core pi          XDR/RPC, NFSv3, MOUNT, portmap
#   fleet     -> core pi          boot-stage model, JSON, HTTP API + dashboard
#   provision -> core pi          data dir, images, per-Pi roots, boot-file text
#   privsep   -> core pi          root parent <-> child messages, dropping privileges, seccomp
#   probe     -> core pi dhcp tftp   a fake Pi: it speaks the codecs, not the servers
#   daemon    -> core pi dhcp tftp nfs fleet provision privsep   where the parts meet (`serve`)
#   cli       -> core pi dhcp tftp nfs fleet provision probe privsep, and daemon/config.h
#                                 (the pinetboot.conf reader) but no other daemon header
#
# Headers at the top of src/ (src/cmds.h: the cmd_* entry points) may be
# included from anywhere; src/main.c may include only them.
#
# Usage: tools/lint-layers.sh [SRCDIR]   (default: src). Exit 1 on a
# forbidden edge, printing "file:line: folder -> target (include)".
# With --count it prints the number of forbidden edges and exits 0.
set -eu

count_only=0
if [ "${1:-}" = "--count" ]; then
	count_only=1
	shift
fi
src=${1:-src}

allowed() { # $1 = from folder, $2 = target folder or header path
	case "$1:$2" in
	core:*) return 1 ;;
	pi:core) return 0 ;;
	dhcp:core | dhcp:pi | tftp:core | tftp:pi | nfs:core | nfs:pi) return 0 ;;
	privsep:core | privsep:pi) return 0 ;;
	fleet:core | fleet:pi | provision:core | provision:pi) return 0 ;;
	probe:core | probe:pi | probe:dhcp | probe:tftp) return 0 ;;
	daemon:core | daemon:pi | daemon:dhcp | daemon:tftp | daemon:nfs) return 0 ;;
	daemon:fleet | daemon:provision | daemon:privsep) return 0 ;;
	cli:core | cli:pi | cli:dhcp | cli:tftp | cli:nfs | cli:fleet) return 0 ;;
	cli:provision | cli:probe | cli:privsep | cli:daemon/config.h) return 0 ;;
	esac
	return 1
}

bad=0
for f in $(find "$src" -name '*.[ch]' | sort); do
	rel=${f#"$src"/}
	case "$rel" in
	*/*) from=${rel%%/*} ;;
	*) from=top ;;
	esac
	# grep -n: "LINE:#include "dir/x.h"" (quoted includes only; <...> are system)
	grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | while IFS= read -r hit; do
		line=${hit%%:*}
		inc=$(printf '%s\n' "$hit" | sed 's/^[^"]*"\([^"]*\)".*/\1/')
		case "$inc" in
		*/*) to=${inc%%/*} ;;
		*) to=top ;;
		esac
		[ "$to" = "$from" ] && continue  # same folder
		[ "$to" = top ] && continue      # src/cmds.h and friends
		if [ "$from" = top ]; then
			echo "$f:$line: src/ top level -> $to ($inc): main.c sees only src/*.h"
			continue
		fi
		allowed "$from" "$to" && continue
		allowed "$from" "$inc" && continue
		echo "$f:$line: $from -> $to ($inc) is not an allowed layer edge (see tools/lint-layers.sh)"
	done
done >"${TMPDIR:-/tmp}/lint-layers.$$"
bad=$(wc -l <"${TMPDIR:-/tmp}/lint-layers.$$")
if [ "$count_only" = 1 ]; then
	echo "$bad"
	rm -f "${TMPDIR:-/tmp}/lint-layers.$$"
	exit 0
fi
cat "${TMPDIR:-/tmp}/lint-layers.$$"
rm -f "${TMPDIR:-/tmp}/lint-layers.$$"
if [ "$bad" -ne 0 ]; then
	echo "lint-layers: $bad forbidden include edge(s)" >&2
	exit 1
fi
echo "lint-layers: 0 forbidden include edges"

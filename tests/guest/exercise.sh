#!/bin/sh
# /exercise: runs inside the QEMU guest on its NFS root (POSIX sh, busybox).
# Works in /ex, writes one line per step to /result ("ok NAME" / "not ok NAME
# detail"), plus "sha256_big <hex>" and finally "done". The test on the
# server then checks the same objects from the server side (owners, modes,
# device numbers, link counts, sizes, the big file's sha256).
# BIG_MB (kernel command line pnb.big_mb=N, default 100) sizes the big file.
# shellcheck disable=SC2016,SC2013 # CODE strings are eval'd by t; cmdline is a word list
R=/result
BIG_MB=100
for x in $(cat /proc/cmdline); do
	case $x in pnb.big_mb=*) BIG_MB=${x#pnb.big_mb=} ;; esac
done
: >"$R"
nfail=0
# t NAME CODE...: eval CODE in a subshell (it sees our functions).
t() {
	name=$1
	shift
	# On the console too: if the NFS server stalls, the console's last
	# "EX" line names the step that hung.
	echo "EX $name"
	if out=$( (eval "$*") 2>&1); then
		echo "ok $name" >>"$R"
	else
		nfail=$((nfail + 1))
		echo "not ok $name: $(echo "$out" | tr '\n' ' ' | cut -c1-200)" >>"$R"
		echo "exercise: FAILED $name: $out"
	fi
}
eq() { [ "$1" = "$2" ] || {
	echo "got '$1' want '$2'"
	return 1
}; }
dropcaches() { sync && echo 3 >/proc/sys/vm/drop_caches; }

rm -rf /ex
mkdir /ex && cd /ex || exit 1

# create / write / read / append / truncate
t create 'printf "hello\n" >f1 && [ -f f1 ]'
t read 'eq "$(cat f1)" hello'
t append 'printf "world\n" >>f1 && eq "$(cat f1 | tr "\n" " ")" "hello world "'
t overwrite 'printf "0123456789" >f2 && printf "AB" | dd of=f2 bs=1 seek=4 conv=notrunc 2>/dev/null && eq "$(cat f2)" 0123AB6789'
t truncate_shrink 'truncate -s 3 f2 && eq "$(cat f2)" 012 && eq "$(stat -c %s f2)" 3'
t truncate_grow 'truncate -s 5000000 sparse && eq "$(stat -c %s sparse)" 5000000'
t empty ': >empty && eq "$(stat -c %s empty)" 0'
# rename (same dir, across dirs, over an existing file)
t rename 'printf r >r1 && mv r1 r2 && [ ! -e r1 ] && eq "$(cat r2)" r'
t rename_dir 'mkdir -p d1/sub d2 && printf x >d1/sub/x && mv d1/sub d2/moved && eq "$(cat d2/moved/x)" x'
t rename_replace 'printf new >rnew && printf old >rold && mv rnew rold && eq "$(cat rold)" new'
# hard link, symlink
t link 'printf L >lk && ln lk lk2 && ln lk d2/lk3 && eq "$(stat -c %h lk)" 3'
t unlink_link 'rm d2/lk3 && eq "$(stat -c %h lk)" 2 && eq "$(cat lk2)" L'
t symlink 'ln -s f1 sl && eq "$(readlink sl)" f1 && eq "$(head -n1 sl)" hello'
t symlink_dangling 'ln -s /no/such/target sl2 && eq "$(readlink sl2)" /no/such/target'
# chmod / chown
t chmod 'printf m >m1 && chmod 0640 m1 && eq "$(stat -c %a m1)" 640'
t chmod_suid 'printf m >m2 && chmod 4755 m2 && eq "$(stat -c %a m2)" 4755'
t chmod_sticky 'mkdir st && chmod 1777 st && eq "$(stat -c %a st)" 1777'
t chown 'printf o >o1 && chown 1234:5678 o1 && eq "$(stat -c %u:%g o1)" 1234:5678'
t chown_symlink 'ln -s o1 osl && chown -h 4321:8765 osl && eq "$(stat -c %u:%g osl)" 4321:8765'
t chgrp_only 'printf o >o2 && chgrp 99 o2 && eq "$(stat -c %u:%g o2)" 0:99'
t utime 'printf u >u1 && touch -d "2001-02-03 04:05:06" u1 && eq "$(stat -c %Y u1)" 981173106'
# device nodes, FIFO
t mknod_char 'mknod cdev c 10 200 && eq "$(stat -c "%F %t %T" cdev)" "character special file a c8"'
t mknod_block 'mknod bdev b 259 7 && eq "$(stat -c "%F %t %T" bdev)" "block special file 103 7"'
t mkfifo 'mkfifo ff && eq "$(stat -c %F ff)" fifo'
# After dropping the client's caches the attributes come from the server.
dropcaches
t attrs_after_dropcache 'eq "$(stat -c %u:%g:%a o1 m2 | tr "\n" " ")" "1234:5678:644 0:0:4755 " && eq "$(stat -c "%t %T" cdev)" "a c8" && eq "$(stat -c %h lk)" 2 && eq "$(cat f1 | tr "\n" " ")" "hello world "'

# The big file: written, checksummed, read back from the server.
t big_write "dd if=/dev/urandom of=big bs=1M count=$BIG_MB 2>/dev/null && sync"
t big_size "eq \"\$(stat -c %s big)\" $((BIG_MB * 1048576))"
h1=$(sha256sum big | cut -d' ' -f1)
echo "sha256_big $h1" >>"$R"
dropcaches
h2=$(sha256sum big | cut -d' ' -f1)
t big_reread eq "$h2" "$h1"

# rm -rf of a tree (directories, files, symlinks, a FIFO).
mk_tree() {
	for a in 0 1 2 3 4; do
		for b in 0 1 2 3 4; do
			mkdir -p "tree/a$a/b$b"
			for c in 0 1 2 3 4 5 6 7; do
				printf '%s' "$a$b$c" >"tree/a$a/b$b/f$c"
			done
			ln -s f0 "tree/a$a/b$b/s"
		done
		mkfifo "tree/a$a/fifo"
	done
}
t tree_create mk_tree
# tree + 5 + 25 directories, 200 files, 25 symlinks, 5 FIFOs
t tree_count 'eq "$(find tree | wc -l)" 261'
t rm_rf 'rm -rf tree && [ ! -e tree ]'
# A second tree that stays, for the server to count.
mkdir -p keep
i=0
while [ $i -lt 50 ]; do
	printf '%s' "$i" >"keep/k$i"
	i=$((i + 1))
done
t keep_count eq "$(find keep -type f | wc -l)" 50

cd /
sync
echo "failed $nfail" >>"$R"
echo "done" >>"$R"
sync
[ "$nfail" -eq 0 ]

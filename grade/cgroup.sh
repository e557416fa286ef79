# cgroup.sh: one cgroup a submission, beneath the grader's own, that caps
# the memory and the processes of everything the submission's sandbox
# starts, counts its CPU time, and kills it whole. Sourced by grade/grade.sh.
# shellcheck shell=sh
#
# cgroup v2 where its memory and pids controllers can be had beneath the
# grader's cgroup (and cpu, where it can be, too); else v1's memory, pids,
# cpu and cpuacct hierarchies, each where it is mounted. A cgroup of its
# own in the cpu controller gives each submission an equal share of the CPU
# against the others, however many processes it runs; its weight is ten
# times a process's, so that a sandbox, which runs many, does not get less
# than it would without one beside the other processes of the host. No process is moved out of the cgroup it started in:
# a sandbox's first process enters its submission's cgroup before it
# starts anything (cg_exec), and the grader itself stays where it is.
#
# cg_init sets cg_dirs, the grader's own cgroups that the submissions'
# are made beneath ("" where none can be), and cg_why, why not.

# cg_mount TYPE CONTROLLER: the mount point and root (two words) of the
# cgroup file system TYPE (cgroup2, or cgroup with CONTROLLER)
cg_mount() {
	awk -v type="$1" -v ctl="$2" '{
		for (i = 7; $i != "-"; i++) ;
		if ($(i + 1) != type) next
		if (type == "cgroup" && ("," $(i + 3) ",") !~ ("," ctl ",")) next
		print $5, $4; exit
	}' /proc/self/mountinfo
}

# cg_own TYPE CONTROLLER: the directory of the grader's own cgroup there
cg_own() {
	# shellcheck disable=SC2046 # two words
	set -- "$1" "$2" $(cg_mount "$1" "$2")
	[ $# -eq 4 ] || return 1
	cg_path=$(awk -F : -v type="$1" -v ctl="$2" '
		type == "cgroup2" && $1 == "0" && $2 == "" { print $3; exit }
		type == "cgroup" && ("," $2 ",") ~ ("," ctl ",") { print $3; exit }' /proc/self/cgroup)
	[ -n "$cg_path" ] || return 1
	[ "$4" = / ] || cg_path=${cg_path#"$4"}
	echo "$3${cg_path%/}"
}

cg_init() {
	cg_dirs='' cg_version='' cg_why=''
	if d=$(cg_own cgroup2 "") && [ -w "$d" ]; then
		# its controllers must be on for the children: that can be done only
		# in a cgroup that holds no process (or in the root)
		for c in memory pids cpu; do
			grep -qw "$c" "$d/cgroup.subtree_control" 2>/dev/null ||
			    echo "+$c" >"$d/cgroup.subtree_control" 2>/dev/null
		done
		if grep -qw memory "$d/cgroup.subtree_control" &&
		    grep -qw pids "$d/cgroup.subtree_control"; then
			cg_dirs=$d cg_version=2
			return 0
		fi
	fi
	# (a hierarchy may hold several controllers: cpu,cpuacct)
	for c in memory pids cpu cpuacct; do
		{ d=$(cg_own cgroup "$c") && [ -w "$d" ]; } || continue
		case " $cg_dirs " in
		*" $d "*) ;;
		*) cg_dirs="$cg_dirs $d" ;;
		esac
	done
	cg_dirs=${cg_dirs# }
	if [ -n "$cg_dirs" ]; then
		cg_version=1
	else
		# shellcheck disable=SC2034 # for grade.sh
		cg_why="no cgroup can be made beneath this process's (neither v2 with memory and pids, nor v1): a submission's memory, processes and CPU are bounded only for each process (RLIMIT_AS, RLIMIT_NPROC, RLIMIT_CPU), not in total"
	fi
}

# cg_make NAME MEMORY PIDS: the cgroup NAME beneath each of cg_dirs,
# capped; prints its directories, each as soon as it is made. 1 if one
# cannot be made or capped.
cg_make() {
	for d in $cg_dirs; do
		mkdir "$d/$1" || return 1
		printf '%s\n' "$d/$1"
		case $cg_version in
		2)
			echo "$2" >"$d/$1/memory.max" && echo 0 >"$d/$1/memory.swap.max" 2>/dev/null
			[ ! -f "$d/$1/cpu.weight" ] || echo 1000 >"$d/$1/cpu.weight"
			echo "$3" >"$d/$1/pids.max" || return 1 ;;
		*)
			if [ -f "$d/$1/memory.limit_in_bytes" ]; then
				echo "$2" >"$d/$1/memory.limit_in_bytes" || return 1
				[ ! -f "$d/$1/memory.memsw.limit_in_bytes" ] ||
				    echo "$2" >"$d/$1/memory.memsw.limit_in_bytes"
			fi
			if [ -f "$d/$1/pids.max" ]; then
				echo "$3" >"$d/$1/pids.max" || return 1
			fi
			if [ -f "$d/$1/cpu.shares" ]; then
				echo 10240 >"$d/$1/cpu.shares" || return 1
			fi ;;
		esac
	done
}

# cg_exec DIRS COMMAND...: COMMAND in the cgroups DIRS (a list, maybe
# empty): the process enters them, then becomes COMMAND
cg_exec() {
	sh -c 'for d in $0; do echo $$ >"$d/cgroup.procs" || exit 1; done; exec "$@"' "$@"
}

# cg_procs DIRS: the pids in the cgroups DIRS
cg_procs() {
	for d in $1; do
		cat "$d/cgroup.procs" 2>/dev/null
	done | sort -u
}

# kill_listed LIST ARG: kill the pids that LIST ARG prints until it prints
# none (at most 10 s); 1 if one stays
kill_listed() {
	kl_end=$(($(date +%s) + 10))
	while kl_pids=$("$1" "$2") && [ -n "$kl_pids" ]; do
		# shellcheck disable=SC2086 # a list of pids
		kill -KILL $kl_pids 2>/dev/null
		[ "$(date +%s)" -lt "$kl_end" ] || return 1
		sleep 0.1
	done
}

# cg_kill DIRS: kill every process of the cgroups DIRS and wait until none
# is left (at most 10 s); 1 if one stays
cg_kill() {
	[ -n "$1" ] || return 0
	for d in $1; do
		[ ! -f "$d/cgroup.kill" ] || echo 1 >"$d/cgroup.kill"
	done
	kill_listed cg_procs "$1"
}

# cg_cpu_s DIRS: the CPU seconds the cgroups DIRS have used, whole
cg_cpu_s() {
	for d in $1; do
		if [ "$cg_version" = 2 ]; then
			awk '$1 == "usage_usec" { printf "%d\n", $2 / 1000000; exit }' "$d/cpu.stat"
			return
		elif [ -f "$d/cpuacct.usage" ]; then
			awk '{ printf "%d\n", $1 / 1000000000; exit }' "$d/cpuacct.usage"
			return
		fi
	done
	echo 0
}

# cg_report DIRS: one line: the most memory used, the processes the kernel
# killed for memory and the forks it refused
cg_report() {
	peak='' oom='' forks=''

	for d in $1; do
		for f in memory.peak memory.max_usage_in_bytes; do
			[ ! -f "$d/$f" ] || peak=$(($(cat "$d/$f") / 1048576))
		done
		for f in memory.events memory.oom_control; do
			[ ! -f "$d/$f" ] || oom=$(awk '$1 == "oom_kill" { print $2 }' "$d/$f")
		done
		[ ! -f "$d/pids.events" ] || forks=$(awk '$1 == "max" { print $2 }' "$d/pids.events")
	done
	echo "cgroup: at most ${peak:-?} MiB of memory; ${oom:-?} processes killed for memory; ${forks:-?} forks refused; $(cg_cpu_s "$1") s of CPU"
}

# cg_remove DIRS: the cgroups DIRS, emptied, removed (a few tries: the
# kernel lets go of a cgroup a moment after its last process)
cg_remove() {
	for d in $1; do
		n=0
		while ! rmdir "$d" 2>/dev/null && [ -d "$d" ]; do
			[ $((n += 1)) -lt 50 ] || return 1
			sleep 0.1
		done
	done
}

#!/usr/bin/env bash
# slurm-cluster.sh start DIR | stop DIR
#
# A one-node Slurm cluster on this machine, for the tests and make bench:
# its own munged (its own key and socket), slurmctld and slurmd on free
# 127.0.0.1 ports, everything under DIR. No cgroups or slurmdbd:
# proctrack/linuxproc, task/none, and the job completion log in a file so
# that sacct -c answers. start prints the slurm.conf to point SLURM_CONF
# at; stop ends the daemons by the PIDs they wrote. Needs root and
# Debian's slurm-wlm and munge.
set -euo pipefail
cmd=${1:-} dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
	echo "usage: $0 start DIR | stop DIR" >&2
	exit 2
fi

stop() {
	local f pid pids=()
	for f in slurmd.pid slurmctld.pid munge/munged.pid; do
		[ -s "$dir/$f" ] || continue
		pid=$(cat "$dir/$f")
		kill "$pid" 2>/dev/null && pids+=("$pid")
	done
	for _ in $(seq 100); do
		local alive=0
		for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && return 0
		sleep 0.1
	done
	for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}

# free_port: a TCP port nothing listens on, on 127.0.0.1.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

case $cmd in
stop)
	stop
	exit 0
	;;
start) ;;
*)
	echo "usage: $0 start DIR | stop DIR" >&2
	exit 2
	;;
esac

for c in munged slurmctld slurmd sinfo; do
	command -v "$c" >/dev/null 2>&1 || { echo "slurm-cluster: $c is not on PATH (apt-get install slurm-wlm munge)" >&2; exit 1; }
done
# munged wants every directory on its socket's path searchable by all.
mkdir -p "$dir/munge" "$dir/state" "$dir/spool"
chmod 755 "$dir" "$dir/munge"
dir=$(cd "$dir" && pwd)
head -c 1024 /dev/urandom >"$dir/munge/munge.key"
chmod 400 "$dir/munge/munge.key"
socket=$dir/munge/munge.socket
munged --force --socket="$socket" --key-file="$dir/munge/munge.key" --pid-file="$dir/munge/munged.pid" \
	--log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"

ctld_port=$(free_port)
slurmd_port=$(free_port)
while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(free_port); done
node=$(slurmd -C | head -n 1)
cat >"$dir/slurm.conf" <<EOF
ClusterName=repro-test
SlurmctldHost=$(hostname)(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.txt
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
MinJobAge=5
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$dir/slurm.conf
slurmctld -i -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 150); do
	if [ "$(sinfo --noheader --format=%T 2>/dev/null)" = idle ]; then
		echo "$SLURM_CONF"
		exit 0
	fi
	sleep 0.2
done
echo "slurm-cluster: the node did not become idle; see $dir/slurmctld.log and $dir/slurmd.log" >&2
tail -n 5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
stop
exit 1

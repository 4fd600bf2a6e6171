#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for tests: `cluster.sh start DIR` writes a
# slurm.conf into DIR, starts munged (if not running), slurmctld and slurmd, and waits until the
# node is idle; `cluster.sh stop DIR` stops what start started. Needs root, Debian's slurmctld,
# slurmd, slurm-client and munge. Prints one line naming the problem and exits 1 when a daemon
# does not come up.
set -euo pipefail

cmd=${1:?usage: cluster.sh start|stop DIR}
dir=$(realpath -m "${2:?usage: cluster.sh start|stop DIR}")
host=$(hostname -s)
conf="$dir/slurm.conf"

fail() {
  echo "slurm cluster: $*" >&2
  for log in "$dir"/*.log; do [ -f "$log" ] && { echo "--- $log" >&2; tail -n 15 "$log" >&2; }; done
  exit 1
}

stop_pidfile() {
  local pidfile=$1
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

start_munge() {
  # slurm's auth/munge talks to the default socket, so munged runs with its default paths.
  if munge -n >/dev/null 2>&1 </dev/null; then return 0; fi
  [ -f /etc/munge/munge.key ] || fail "no /etc/munge/munge.key (install the munge package)"
  install -d -o munge -g munge -m 0755 /run/munge
  install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
  runuser -u munge -- /usr/sbin/munged || fail "munged did not start"
  touch "$dir/started-munge"
  for _ in $(seq 50); do munge -n >/dev/null 2>&1 </dev/null && return 0; sleep 0.1; done
  fail "munged started but does not answer"
}

case "$cmd" in
  start)
    for tool in slurmctld slurmd sinfo munged; do
      command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || fail "$tool is not installed (scripts/setup.sh installs it)"
    done
    mkdir -p "$dir/spool/ctld" "$dir/spool/d"
    port=$((6817 + RANDOM % 2000))
    cat > "$conf" <<CONF
ClusterName=mlexport-test
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/spool/ctld
SlurmdSpoolDir=$dir/spool/d
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
SchedulerType=sched/backfill
MinJobAge=300
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    start_munge
    export SLURM_CONF="$conf"
    /usr/sbin/slurmctld -f "$conf" || fail "slurmctld did not start"
    /usr/sbin/slurmd -f "$conf" || fail "slurmd did not start"
    for _ in $(seq 100); do
      state=$(sinfo -h -N -o '%T' 2>/dev/null | head -n 1 || true)
      [ "$state" = "idle" ] && { echo "slurm cluster: up ($conf)"; exit 0; }
      sleep 0.2
    done
    fail "node did not become idle (state '${state:-none}')"
    ;;
  stop)
    stop_pidfile "$dir/slurmd.pid"
    stop_pidfile "$dir/slurmctld.pid"
    if [ -f "$dir/started-munge" ]; then
      stop_pidfile /run/munge/munged.pid
      rm -f "$dir/started-munge"
    fi
    ;;
  *) fail "unknown command '$cmd' (start or stop)" ;;
esac

#!/usr/bin/env bash
# A real single-node SLURM cluster on localhost, for the SLURM tests (tests/test_slurm.py).
# Run as root on Debian: installs slurm-wlm + munge, writes /etc/slurm/slurm.conf, starts
# munged, slurmctld and slurmd. Idempotent: does nothing when the cluster already answers.
#
# Why these settings (each one was needed on a container without systemd or cgroups):
#   ProctrackType=proctrack/linuxproc, TaskPlugin=task/none  -- no cgroup plugin needed
#   AccountingStorageType=accounting_storage/none            -- no slurmdbd; so `sacct` cannot
#       answer, and snakemake must poll with `squeue` (tests/profiles/slurm-test)
#   MinJobAge=600      -- finished jobs stay visible to squeue long after the first status check
#   /etc/slurm/slurm.conf -- the plugin drops SLURM_* variables (SLURM_CONF too) inside jobs,
#       so the config must sit where every client looks by default
set -euo pipefail

log() { echo "slurm-setup: $*" >&2; }
STARTED=/run/weightmem-slurm-started   # pids of the daemons this script started

if [ "${1:-}" = stop ]; then   # stop only what this script started (CI's exit trap)
    if [ -f "$STARTED" ]; then
        while read -r name pid; do
            if [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = "$name" ]; then
                kill "$pid" && log "stopped $name ($pid)"
            fi
        done < <(tac "$STARTED")   # slurmd, slurmctld, then munged
        rm -f "$STARTED"
    fi
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    log "must run as root"; exit 1
fi

if command -v sinfo >/dev/null && timeout 10 scontrol ping 2>/dev/null | grep -q UP \
    && timeout 10 sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
    log "cluster already up: $(sinfo -h -o '%P %D %t %C')"; exit 0
fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    log "installing slurm-wlm and munge"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null
fi

HOST=$(hostname -s)
CPUS=$(nproc)
# leave ~10% of the memory to the OS; a job's mem_mb above RealMemory is rejected at submission
MEM=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)

# munge: key readable only by munge; socket folder world-readable so job steps can authenticate
install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
install -d -o munge -g munge -m 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key

install -d -m 0755 /etc/slurm /var/log/slurm /var/spool/slurmctld /var/spool/slurmd
cat > /etc/slurm/slurm.conf <<EOF
# written by weightmem .ci/slurm-setup.sh: one node, localhost, no accounting database
ClusterName=weightmem
SlurmctldHost=${HOST}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
MinJobAge=600
ReturnToService=2
NodeName=${HOST} NodeAddr=127.0.0.1 CPUs=${CPUS} RealMemory=${MEM} State=UNKNOWN
PartitionName=debug Nodes=${HOST} Default=YES MaxTime=INFINITE State=UP
EOF
chmod 0644 /etc/slurm/slurm.conf

started() {   # remember a daemon this script started, by its pid file or its name
    local pid
    pid=$(cat "$2" 2>/dev/null || pgrep -n -x "$1")
    echo "$1 $pid" >> "$STARTED"
}

if ! pgrep -u munge -x munged >/dev/null; then
    log "starting munged"
    runuser -u munge -- /usr/sbin/munged
    started munged /run/munge/munged.pid
fi
for i in $(seq 20); do munge -n </dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.5; done
munge -n </dev/null | unmunge >/dev/null || { log "munge does not work"; exit 1; }

if ! pgrep -x slurmctld >/dev/null; then
    log "starting slurmctld"
    /usr/sbin/slurmctld
    sleep 1; started slurmctld /run/slurmctld.pid
fi
if ! pgrep -x slurmd >/dev/null; then
    log "starting slurmd"
    /usr/sbin/slurmd
    sleep 1; started slurmd /run/slurmd.pid
fi

for i in $(seq 60); do
    state=$(sinfo -h -n "$HOST" -o %t 2>/dev/null || true)
    case "$state" in
        idle*|mix*|alloc*) log "cluster up: $(sinfo -h -o '%P %D %t %C')"; exit 0 ;;
        down*|drain*) scontrol update nodename="$HOST" state=resume 2>/dev/null || true ;;
    esac
    sleep 1
done
log "node $HOST never became idle (state: ${state:-none}); logs in /var/log/slurm/"
tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
exit 1

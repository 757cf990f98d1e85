#!/usr/bin/env bash
# vmetal sandbox: a disposable local hypervisor for trying vmetal and for its tests.
#
# `vmetal sandbox up|down|status|env` runs this script (shipped inside the vmetal
# binary).  It builds, on this machine:
#   * a network namespace ($NS) reachable from the host only through one veth
#     pair (host 198.18.90.1/30 <-> sandbox 198.18.90.2/30, RFC 2544 benchmark
#     range), with no default route, no forwarding, and DROP rules for anything
#     that would be forwarded through the uplink;
#   * a persistent private mount namespace on top of it: /etc is an overlay
#     (users, sudoers, polkit rules and libvirt definitions made inside stay
#     inside), and /var/lib/libvirt, /var/log/libvirt, /var/cache/libvirt,
#     /run/libvirt, /run/dbus, /home, /root and /var/lib/vmetal (vmetal's
#     records, lock, image cache and BMC on the "hypervisor") are private.  The
#     sandbox therefore never sees or disturbs a libvirtd, D-Bus or user of the
#     host, and `down` can wipe it completely;
#   * inside both: virtlogd, a system D-Bus + polkitd, libvirtd (under a child
#     subreaper), and sshd on 198.18.90.2:22 with a NOPASSWD sudoer ($SBX_USER)
#     whose key pair, and the sshd host keys, live in $STATE/client and
#     $STATE/sshd and survive `down`, so client configs stay valid.
#
# Usage: sandbox.sh up | down [--purge] | status | env
#   up      create or repair everything (idempotent); prints the env on stdout.
#   down    stop everything by PID, delete the namespaces, wipe the sandbox's
#           private file tree.  --purge also deletes keys and host keys.
#   status  exit 0 = up, 1 = degraded, 3 = down.
#   env     shell assignments for clients (VMETAL_HOST, VMETAL_KEY, ...).
#
# Settings (environment): VMETAL_SANDBOX_STATE (/var/lib/vmetal/sandbox),
# VMETAL_SANDBOX_USER (vmadmin), VMETAL_SANDBOX_NO_APT=1 (report missing packages
# instead of installing them), VMETAL_SANDBOX_KVM=auto|on|off (see hide_kvm).
#
# Host quirks handled (see the project's docs/sandbox.md):
#   - `ip netns exec` remounts /sys without the cgroup tree; libvirt would then
#     run guests without cgroups.  Our mount namespace mounts the netns's sysfs
#     and binds the host cgroup tree into it.
#   - A /dev/kvm that exists without hardware virtualisation behind it (e.g. a
#     paravirtual kvm_pvm) either makes libvirt re-probe QEMU on every call
#     (minutes per define) or, once its permissions let QEMU open it, crashes
#     every guest.  The sandbox hides it in its own mount namespace (hide_kvm),
#     so libvirt consistently offers software emulation (type='qemu') only.
#   - A PID 1 that reaps orphans lazily makes `virsh destroy` slow; libvirtd runs
#     under a small child subreaper.
#   - Daemons must not inherit the lock fd (9).

set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C.UTF-8

NS=vmetal-sbx
STATE=${VMETAL_SANDBOX_STATE:-/var/lib/vmetal/sandbox}
SBX_USER=${VMETAL_SANDBOX_USER:-vmadmin}
KVM_MODE=${VMETAL_SANDBOX_KVM:-auto}   # auto: use KVM only where the CPU has vmx/svm; on; off
HOST_IF=vmsbx0
NS_IF=eth0
HOST_ADDR=198.18.90.1
NS_ADDR=198.18.90.2
NET_PREFIX=30
BLACKHOLE_PORT=9                 # TCP port that drops SYNs (for timeout tests)

RUN=/run/vmetal-sandbox          # lock, pid files, the mount-namespace handle
MNT_NS=$RUN/mnt
LOCK=$RUN.lock
FS=$STATE/fs                     # the sandbox's private file tree (wiped by down)
CLIENT=$STATE/client             # client key pair, known_hosts, ssh_config
SSHD_DIR=$STATE/sshd             # sshd config and host keys
CACHE=$STATE/cache               # libvirt's QEMU capability cache (kept: probing is slow)
LOGS=$FS/log
SOCKET=$FS/run-libvirt/libvirt-sock
PY=/usr/bin/python3
DAEMON_ENV=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root)

log() { printf '[sandbox %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

netns_exists() { [[ -e /run/netns/$NS ]]; }
mountns_exists() { mountpoint -q "$MNT_NS" 2>/dev/null; }

# True if PID $1 is alive and lives in the sandbox's network namespace.
in_sandbox() {
    local pid=$1
    [[ $pid =~ ^[0-9]+$ ]] && [[ -d /proc/$pid ]] || return 1
    netns_exists || return 1
    [[ $(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null) == "$(stat -L -c %i "/run/netns/$NS")" ]]
}

pid_from() { if [[ -r $1 ]]; then tr -dc '0-9' <"$1"; fi; }
pidfile_alive() { in_sandbox "$(pid_from "$1")"; }

gone() {
    local state
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
    [[ -z $state || $state == Z ]]
}

wait_for() {
    local secs=$1; shift
    local end=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < end)) || return 1
        sleep 0.1
    done
}

# Stop one process we started (by PID): SIGTERM, then SIGKILL after a grace period.
stop_pid() {
    local what=$1 pid=$2
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    gone "$pid" && return 0
    log "stopping $what (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    wait_for 15 gone "$pid" && return 0
    log "  $what (pid $pid) ignored SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_for 5 gone "$pid" || log "  WARNING: pid $pid is still alive"
}

# Run a command inside the sandbox (network + mount namespace), from /.
sbx() {
    nsenter 9>&- --net="/run/netns/$NS" --mount="$MNT_NS" -- /bin/sh -c 'cd / && exec "$@"' sbx "$@"
}

# ------------------------------------------------------------------ packages
ensure_packages() {
    local -A need=(
        [ip]=iproute2 [nsenter]=util-linux [unshare]=util-linux [setpriv]=util-linux
        [setsid]=util-linux [flock]=util-linux [mountpoint]=util-linux
        [libvirtd]=libvirt-daemon-system [virtlogd]=libvirt-daemon-system
        [virsh]=libvirt-clients [virt-ssh-helper]=libvirt-daemon
        [qemu-system-x86_64]=qemu-system-x86 [qemu-img]=qemu-utils
        [/usr/lib/ipxe/qemu/pxe-virtio.rom]=ipxe-qemu [/usr/share/OVMF/OVMF_CODE_4M.fd]=ovmf
        [dnsmasq]=dnsmasq-base [iptables]=iptables
        [sshd]=openssh-server [ssh-keygen]=openssh-client [sudo]=sudo [visudo]=sudo
        [/usr/bin/python3]=python3 [dbus-daemon]=dbus-daemon [/usr/lib/polkit-1/polkitd]=polkitd
        [socat]=socat [nc]=netcat-openbsd
    )
    local item missing=()
    for item in "${!need[@]}"; do
        if [[ $item == /* ]]; then [[ -e $item ]] && continue
        else command -v "$item" >/dev/null && continue; fi
        missing+=("${need[$item]}")
    done
    ((${#missing[@]})) || return 0
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    [[ ${VMETAL_SANDBOX_NO_APT:-0} == 1 ]] && die "missing packages: apt-get install -y ${missing[*]}"
    log "installing missing packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get -qq update >&2
    DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends "${missing[@]}" >&2
}

# ------------------------------------------------------------------- network
setup_network() {
    if ! netns_exists; then
        log "creating network namespace $NS"
        ip netns add "$NS"
    fi
    if ! ip link show "$HOST_IF" >/dev/null 2>&1; then
        log "creating veth $HOST_IF (host) <-> $NS_IF ($NS)"
        ip link add "$HOST_IF" type veth peer name "$NS_IF" netns "$NS"
    fi
    # Host end: no IPv6, and never route what arrives from the sandbox.
    sysctl -qw "net.ipv6.conf.$HOST_IF.disable_ipv6=1" "net.ipv4.conf.$HOST_IF.forwarding=0"
    ip addr replace "$HOST_ADDR/$NET_PREFIX" dev "$HOST_IF"
    ip link set "$HOST_IF" up

    # Sandbox end.  A new netns may inherit ip_forward=1 from the host.
    ip netns exec "$NS" sysctl -qw net.ipv4.ip_forward=0 "net.ipv6.conf.$NS_IF.disable_ipv6=1"
    ip -n "$NS" link set lo up
    ip -n "$NS" addr replace "$NS_ADDR/$NET_PREFIX" dev "$NS_IF"
    ip -n "$NS" link set "$NS_IF" up

    # Nothing may be forwarded through the uplink, whatever libvirt does with
    # its own chains later (mangle runs before filter and nat).
    local t dir
    for t in iptables ip6tables; do
        for dir in -i -o; do
            ip netns exec "$NS" "$t" -t mangle -C FORWARD "$dir" "$NS_IF" -j DROP 2>/dev/null ||
                ip netns exec "$NS" "$t" -t mangle -A FORWARD "$dir" "$NS_IF" -j DROP
        done
    done
    # A port that silently drops connection attempts, so clients' "host does not
    # answer" handling can be tested without sending a packet off this machine.
    ip netns exec "$NS" iptables -C INPUT -i "$NS_IF" -p tcp --dport "$BLACKHOLE_PORT" -j DROP 2>/dev/null ||
        ip netns exec "$NS" iptables -A INPUT -i "$NS_IF" -p tcp --dport "$BLACKHOLE_PORT" -j DROP
    [[ -z $(ip -n "$NS" route show default) ]] || die "namespace $NS has a default route; refusing to continue"
}

# ------------------------------------------------------------ mount namespace
# The private tree starts as a copy of the package-created directories, so
# libvirt finds the ownership and modes it expects.
seed_private_tree() {
    install -d -m 0755 "$FS/var-lib-vmetal"   # also for trees made before it was private
    [[ -d $FS/var-lib-libvirt ]] && return 0
    log "creating the sandbox's private file tree in $FS"
    install -d -m 0755 "$FS" "$FS/etc-upper" "$FS/etc-work" "$FS/home" "$FS/run-libvirt" "$FS/run-dbus" "$LOGS"
    install -d -m 0700 "$FS/root"
    install -d -m 0711 "$CACHE"
    cp -a /var/lib/libvirt "$FS/var-lib-libvirt"
    cp -a /var/log/libvirt "$FS/var-log-libvirt"
    [[ -d $CACHE/libvirt ]] || cp -a /var/cache/libvirt "$CACHE/libvirt"
}

setup_mount_namespace() {
    mountns_exists && return 0
    seed_private_tree
    log "creating the sandbox's mount namespace"
    install -d -m 0755 "$RUN"
    # A namespace handle may only be bound onto a private mount.
    if ! mountpoint -q "$RUN"; then mount --bind "$RUN" "$RUN"; fi
    mount --make-private "$RUN"
    : >"$MNT_NS"
    # Mounts done inside stay inside; host mounts made later still propagate in.
    # shellcheck disable=SC2016  # the inner script expands its own variables
    nsenter 9>&- --net="/run/netns/$NS" -- unshare --mount="$MNT_NS" --propagation slave -- \
        /bin/sh -ec '
            fs=$1 cache=$2 run=$3 mask=$4 state=$5
            mkdir -p "$run/state-view"
            mount --bind "$state" "$run/state-view"
            # sysfs of this netns (so /sys/class/net shows the sandbox links),
            # but with the host cgroup tree, which libvirt needs for guests.
            tmp=$(mktemp -d "$run/sys.XXXXXX")
            mount -t sysfs vmetal-sbx-sysfs "$tmp"
            mount --rbind /sys/fs/cgroup "$tmp/fs/cgroup"
            mount --move "$tmp" /sys
            rmdir "$tmp"
            mount -t overlay vmetal-sbx-etc -o "lowerdir=/etc,upperdir=$fs/etc-upper,workdir=$fs/etc-work" /etc
            mount --bind "$fs/var-lib-libvirt" /var/lib/libvirt
            mount --bind "$fs/var-log-libvirt" /var/log/libvirt
            mount --bind "$cache/libvirt" /var/cache/libvirt
            mkdir -p /run/libvirt /run/dbus /run/sshd
            mount --bind "$fs/run-libvirt" /run/libvirt
            mount --bind "$fs/run-dbus" /run/dbus
            mount --bind "$fs/home" /home
            mount --bind "$fs/root" /root
            # vmetal'"'"'s own hypervisor state (workspace records, lock, image cache, BMC) is
            # the sandbox'"'"'s too, so down wipes it; the sandbox'"'"'s state dir stays visible.
            mkdir -p /var/lib/vmetal
            mount --bind "$fs/var-lib-vmetal" /var/lib/vmetal
            case $state in
                /var/lib/vmetal/*) mkdir -p "$state"; mount --bind "$run/state-view" "$state"; umount "$run/state-view" ;;
            esac
            if [ -n "$mask" ]; then mount --bind "$mask" /dev/kvm; fi' vmetal-sbx-mounts "$FS" "$CACHE" "$RUN" "$(kvm_mask)" "$STATE"
    hide_kvm_from_libvirt
}

# True when guests can really use KVM here: /dev/kvm backed by vmx/svm.
kvm_wanted() {
    case $KVM_MODE in
        on) return 0 ;;
        off) return 1 ;;
        *) [[ -e /dev/kvm ]] && grep -qE '(^| )(vmx|svm)( |$)' /proc/cpuinfo ;;
    esac
}

# The file that covers /dev/kvm inside the sandbox (empty, mode 0: QEMU cannot use it),
# or nothing when KVM is wanted.
kvm_mask() {
    if [[ -e /dev/kvm ]] && ! kvm_wanted; then
        [[ -f $RUN/kvm-mask ]] || install -m 0000 /dev/null "$RUN/kvm-mask"
        echo "$RUN/kvm-mask"
    fi
}

# With /dev/kvm covered by a mount, libvirt must not build per-guest /dev namespaces
# (it cannot move that mount into them), and a capability cache probed with KVM would be
# re-probed on every call: drop it once, libvirt probes again without KVM.
hide_kvm_from_libvirt() {
    [[ -n $(kvm_mask) ]] || return 0
    # shellcheck disable=SC2016
    sbx /bin/sh -ec 'grep -q "^namespaces *=" /etc/libvirt/qemu.conf || echo "namespaces = []" >>/etc/libvirt/qemu.conf'
    if grep -lq "<flag name='kvm'/>" "$CACHE"/libvirt/qemu/capabilities/*.xml 2>/dev/null; then
        log "dropping libvirt's QEMU capability cache (it was probed with KVM)"
        rm -f "$CACHE"/libvirt/qemu/capabilities/*.xml
    fi
}

# ------------------------------------------------------------- user and ssh
setup_client_keys() {
    install -d -m 0700 "$CLIENT" "$SSHD_DIR"
    [[ -f $CLIENT/id_ed25519 ]] ||
        ssh-keygen -q -t ed25519 -N '' -C "$SBX_USER@vmetal-sandbox" -f "$CLIENT/id_ed25519"
    local t
    for t in ed25519 ecdsa rsa; do
        [[ -f $SSHD_DIR/ssh_host_${t}_key ]] ||
            ssh-keygen -q -t "$t" -N '' -C "root@vmetal-sandbox" -f "$SSHD_DIR/ssh_host_${t}_key"
    done
    for t in ed25519 ecdsa rsa; do
        printf '%s %s\n' "$NS_ADDR" "$(cut -d' ' -f1,2 "$SSHD_DIR/ssh_host_${t}_key.pub")"
    done >"$CLIENT/known_hosts"
    cat >"$CLIENT/ssh_config" <<EOF
# Generated by vmetal sandbox.  Usage: ssh -F $CLIENT/ssh_config vmetal-sandbox
Host vmetal-sandbox $NS_ADDR
    HostName $NS_ADDR
    User $SBX_USER
    IdentityFile $CLIENT/id_ed25519
    IdentitiesOnly yes
    UserKnownHostsFile $CLIENT/known_hosts
    StrictHostKeyChecking yes
    BatchMode yes
    ConnectTimeout 5
    LogLevel ERROR
EOF
}

# The user exists only inside the sandbox (/etc is an overlay there).
setup_user() {
    local pub
    pub=$(cat "$CLIENT/id_ed25519.pub")
    # shellcheck disable=SC2016
    sbx /bin/sh -ec '
        user=$1 pub=$2
        if ! getent passwd "$user" >/dev/null; then
            useradd --create-home --shell /bin/bash --comment "vmetal sandbox admin" "$user"
        fi
        # "*": no password, but not locked, so sshd accepts key logins.
        usermod -p "*" -a -G libvirt,kvm "$user"
        printf "# managed by vmetal sandbox\n%s ALL=(ALL:ALL) NOPASSWD: ALL\n" "$user" >/etc/sudoers.d/vmetal-sandbox
        chmod 0440 /etc/sudoers.d/vmetal-sandbox
        visudo -cqf /etc/sudoers.d/vmetal-sandbox
        home=$(getent passwd "$user" | cut -d: -f6)
        install -d -m 0700 -o "$user" -g "$user" "$home/.ssh"
        printf "%s\n" "$pub" >"$home/.ssh/authorized_keys"
        chown "$user:$user" "$home/.ssh/authorized_keys"
        chmod 0600 "$home/.ssh/authorized_keys"' setup-user "$SBX_USER" "$pub"
}

write_sshd_config() {
    cat >"$SSHD_DIR/sshd_config" <<EOF
# Generated by vmetal sandbox: the sandbox hypervisor's sshd (inside netns $NS).
ListenAddress $NS_ADDR:22
HostKey $SSHD_DIR/ssh_host_ed25519_key
HostKey $SSHD_DIR/ssh_host_ecdsa_key
HostKey $SSHD_DIR/ssh_host_rsa_key
PidFile $RUN/sshd.pid
# Like a typical hypervisor: keys only; root may log in with a key.
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM yes
X11Forwarding no
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
MaxSessions 30
MaxStartups 50:30:200
EOF
    sshd -t -f "$SSHD_DIR/sshd_config" || die "sshd config test failed"
}

# ------------------------------------------------------------------ daemons
# libvirtd waits for a killed QEMU's PID to disappear; where PID 1 reaps
# orphans lazily that costs >1 s per `virsh destroy`.  This subreaper adopts
# libvirtd's children and reaps them at once.
REAPER='
import ctypes, os, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
child = os.fork()
if child == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
while True:
    try:
        pid, status = os.wait()
    except ChildProcessError:
        break
'

start_virtlogd() {
    if pidfile_alive "$RUN/virtlogd.pid"; then return 0; fi
    log "starting virtlogd"
    sbx "${DAEMON_ENV[@]}" LIBVIRT_LOG_OUTPUTS="3:file:$LOGS/virtlogd.log" \
        virtlogd --daemon --pid-file "$RUN/virtlogd.pid"
    wait_for 10 test -S "$FS/run-libvirt/virtlogd-sock" || die "virtlogd did not start"
}

# A system bus + polkitd of the sandbox's own, so that polkit rules made by
# `vmetal prepare` are enforced as on a real host.
start_polkit() {
    if ! pidfile_alive "$FS/run-dbus/pid"; then
        log "starting the sandbox's system D-Bus"
        rm -f "$FS/run-dbus/pid" "$FS/run-dbus/system_bus_socket"
        sbx "${DAEMON_ENV[@]}" dbus-daemon --system --fork
        wait_for 10 test -S "$FS/run-dbus/system_bus_socket" || die "dbus-daemon did not start"
    fi
    if ! pidfile_alive "$RUN/polkitd.pid"; then
        log "starting polkitd"
        # shellcheck disable=SC2016
        sbx "${DAEMON_ENV[@]}" setsid -f /bin/sh -c 'echo $$ >"$1"; exec /usr/lib/polkit-1/polkitd --no-debug' \
            polkitd "$RUN/polkitd.pid" </dev/null >>"$LOGS/polkitd.log" 2>&1
        # Wait for the bus name without asking polkit anything: a question before polkitd has
        # registered makes D-Bus activate a second polkitd, ours then exits and its pid file lies.
        if command -v dbus-send >/dev/null 2>&1; then
            wait_for 15 polkit_registered || die "polkitd did not register on the sandbox's bus"
        fi
        wait_for 15 sbx pkaction --action-id org.libvirt.unix.manage || die "polkitd did not start"
    fi
    # Whichever polkitd owns the bus name (ours, or one D-Bus activated) is the one to track.
    pidfile_alive "$RUN/polkitd.pid" || adopt_pid polkitd "$RUN/polkitd.pid"
}

polkit_registered() {
    sbx dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.PolicyKit1 2>/dev/null | grep -q 'boolean true'
}

# Records the pid of the sandbox's process named $1 in pid file $2.
adopt_pid() {
    local pid
    for pid in $(ip netns pids "$NS"); do
        if [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$1" ]]; then
            echo "$pid" >"$2"
            return 0
        fi
    done
    return 1
}

start_libvirtd() {
    log "starting libvirtd"
    rm -f "$RUN/libvirtd.pid"
    sbx "${DAEMON_ENV[@]}" LIBVIRT_LOG_OUTPUTS="3:file:$LOGS/libvirtd.log" \
        setsid -f "$PY" -c "$REAPER" libvirtd --pid-file "$RUN/libvirtd.pid" </dev/null >/dev/null 2>&1
    # The first connection may wait while libvirt probes QEMU (~10 s under TCG).
    wait_for 120 sbx virsh -c qemu:///system -q uri || die "libvirtd does not answer (see $LOGS/libvirtd.log)"
    pidfile_alive "$RUN/libvirtd.pid" || die "libvirtd is not running inside $NS"
}


start_sshd() {
    if pidfile_alive "$RUN/sshd.pid"; then return 0; fi
    log "starting sshd on $NS_ADDR:22"
    sbx "${DAEMON_ENV[@]}" /usr/sbin/sshd -f "$SSHD_DIR/sshd_config" -E "$LOGS/sshd.log"
    wait_for 10 pidfile_alive "$RUN/sshd.pid" || die "sshd did not start (see $LOGS/sshd.log)"
}

start_daemons() {
    start_virtlogd
    start_polkit
    if ! pidfile_alive "$RUN/libvirtd.pid"; then start_libvirtd; fi
    start_sshd
}

client_ssh() {
    ssh -F "$CLIENT/ssh_config" vmetal-sandbox "$@"
}

# ----------------------------------------------------------------- commands
cmd_up() {
    local t0=$EPOCHREALTIME
    ensure_packages
    install -d -m 0755 "$STATE"
    setup_network
    setup_client_keys
    setup_mount_namespace
    setup_user
    write_sshd_config
    start_daemons
    wait_for 15 client_ssh true || die "ssh to $SBX_USER@$NS_ADDR failed (see $LOGS/sshd.log)"
    client_ssh sudo -n virsh -c qemu:///system -q list --all >/dev/null || die "virsh over ssh failed"
    log "up in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
    cmd_env
}

cmd_down() {
    local purge=0 t0=$EPOCHREALTIME pid name
    [[ ${1:-} == --purge ]] && purge=1
    if netns_exists && mountns_exists && pidfile_alive "$RUN/libvirtd.pid"; then
        # Stop guests through libvirt, so QEMU and dnsmasq exit cleanly.
        for name in $(sbx virsh -c qemu:///system -q list --name 2>/dev/null); do
            sbx virsh -c qemu:///system -q destroy "$name" >/dev/null 2>&1 || true
        done
        for name in $(sbx virsh -c qemu:///system -q net-list --name 2>/dev/null); do
            sbx virsh -c qemu:///system -q net-destroy "$name" >/dev/null 2>&1 || true
        done
    fi
    for name in sshd libvirtd polkitd virtlogd; do
        pid=$(pid_from "$RUN/$name.pid")
        if in_sandbox "$pid"; then stop_pid "$name" "$pid"; fi
    done
    pid=$(pid_from "$FS/run-dbus/pid")
    if in_sandbox "$pid"; then stop_pid dbus-daemon "$pid"; fi
    # Whatever else still runs in the sandbox (ssh sessions, BMC, stray guests)
    # was started through it.
    if netns_exists; then
        for pid in $(ip netns pids "$NS"); do
            stop_pid "$(cat "/proc/$pid/comm" 2>/dev/null || echo '?')" "$pid"
        done
    fi
    if mountns_exists; then umount "$MNT_NS"; fi
    if mountpoint -q "$RUN"; then umount "$RUN"; fi
    if netns_exists; then
        log "deleting network namespace $NS"
        ip netns del "$NS"
    fi
    ip link del "$HOST_IF" 2>/dev/null || true
    rm -rf "$RUN" "${FS:?}"
    if ((purge)); then
        log "purging $STATE"
        rm -rf "${STATE:?}"
    fi
    log "down in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
}

cmd_status() {
    local up=0 total=4 name
    # One line per component, "name : state (details; path)": read by people, and parsed by `vmetal sandbox status -o json`.
    if netns_exists; then echo "netns     : $NS (/run/netns/$NS)"; else echo "netns     : absent (/run/netns/$NS)"; fi
    if mountns_exists; then echo "mount ns  : present ($MNT_NS)"; else echo "mount ns  : absent ($MNT_NS)"; fi
    for name in virtlogd libvirtd polkitd sshd; do
        if pidfile_alive "$RUN/$name.pid"; then
            printf '%-10s: running (pid %s; %s)\n' "$name" "$(pid_from "$RUN/$name.pid")" "$RUN/$name.pid"
            up=$((up + 1))
        else
            printf '%-10s: not running (%s)\n' "$name" "$RUN/$name.pid"
        fi
    done
    if ((up == total)); then
        if client_ssh true 2>/dev/null; then
            echo "ssh       : ok ($SBX_USER@$NS_ADDR)"
            echo "domains   : $(sbx virsh -c qemu:///system -q list --all --name | grep -c . || true)"
            echo "networks  : $(sbx virsh -c qemu:///system -q net-list --all --name | grep -c . || true)"
            return 0
        fi
        echo "ssh       : FAILED ($SBX_USER@$NS_ADDR)"
        return 1
    fi
    if ((up == 0)) && ! netns_exists; then return 3; fi
    return 1
}

cmd_env() {
    cat <<EOF
export VMETAL_HOST=$SBX_USER@$NS_ADDR
export VMETAL_KEY=$CLIENT/id_ed25519
export VMETAL_KNOWN_HOSTS=$CLIENT/known_hosts
export VMETAL_SANDBOX_NETNS=$NS
export VMETAL_SANDBOX_MOUNTNS=$MNT_NS
export VMETAL_SANDBOX_LIBVIRT_SOCKET=$SOCKET
export VMETAL_SANDBOX_SSH_CONFIG=$CLIENT/ssh_config
export VMETAL_SANDBOX_BLACKHOLE=$NS_ADDR:$BLACKHOLE_PORT
EOF
}

main() {
    [[ $(id -u) == 0 ]] || die "the sandbox must be managed as root"
    local cmd=${1:-}
    shift || true
    case $cmd in
        up | down)
            mkdir -p "$(dirname "$LOCK")"
            exec 9>"$LOCK"
            flock -w 300 9 || die "another sandbox up/down is running"
            "cmd_$cmd" "$@"
            ;;
        status) cmd_status ;;
        env) cmd_env ;;
        *) sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
    esac
}

main "$@"

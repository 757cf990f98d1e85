using VMetal.Hosting;

namespace VMetal.Hypervisor;

/// <summary>
/// The one shell script that gathers every fact check and prepare need in a single round trip.
/// It only reads. It runs as the login user (so it can see whether sudo needs a password) and
/// runs root-only probes through <c>sudo -n</c> when that works. It prints raw tool output in
/// sections (<c>@@vmetal NAME EXIT-CODE</c>, then the output) and <see cref="HostFacts"/> parses
/// them, so the parsing is C# that unit and transcript tests feed with real recorded output.
/// </summary>
public static class FactScript
{
    public const string SectionMarker = "@@vmetal ";

    /// <summary>Definitions shared by the fact script and the probes prepare's steps re-run.</summary>
    internal const string Library = """
        export LC_ALL=C PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
        if [ "$(id -u)" -eq 0 ]; then sudo_mode=root
        elif ! command -v sudo >/dev/null 2>&1; then sudo_mode=absent
        elif sudo_out=$(sudo -n true 2>&1); then sudo_mode=nopasswd
        else sudo_mode="password $sudo_out"; fi
        asroot() {
            case $sudo_mode in
                root) "$@" ;;
                nopasswd) sudo -n -- "$@" ;;
                *) echo "needs root, but sudo is not usable without a password"; return 126 ;;
            esac
        }
        t20= t90=
        if command -v timeout >/dev/null 2>&1; then t20="timeout 20" t90="timeout 90"; fi
        section() {
            name=$1; shift
            out=$("$@" 2>&1); rc=$?
            printf '@@vmetal %s %s\n' "$name" "$rc"
            if [ -n "$out" ]; then printf '%s\n' "$out"; fi
        }
        libvirt_version() { asroot $t20 virsh -c qemu:///system version --daemon; }
        libvirt_processes() { pgrep -l -x 'libvirtd|virtqemud'; }
        systemd_units() {
            for u in libvirtd.service virtqemud.service virtnetworkd.service virtstoraged.service; do
                e=$(systemctl is-enabled "$u" 2>/dev/null); a=$(systemctl is-active "$u" 2>/dev/null)
                echo "$u ${e:-not-found} ${a:-unknown}"
            done
        }
        libvirt_sections() {
            section libvirt libvirt_version
            libvirt_rc=$rc
            section libvirt-processes libvirt_processes
            if [ -d /run/systemd/system ]; then section systemd-units systemd_units; fi
        }
        package_kind=none
        if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then package_kind=deb
        elif command -v rpm >/dev/null 2>&1; then package_kind=rpm; fi
        # One line per package: NAME<TAB>KIND<TAB>raw dpkg-query or rpm answer.
        packages() {
            for token in "$@"; do
                name=${token#*:}
                case $token in
                    deb:*) [ "$package_kind" = deb ] || continue
                        out=$(dpkg-query -W -f='${db:Status-Abbrev} ${Version}' "$name" 2>&1) ;;
                    rpm:*) [ "$package_kind" = rpm ] || continue
                        out=$(rpm -q --whatprovides --qf '%{NAME} %{VERSION}-%{RELEASE}\n' "$name" 2>&1 | head -n 1) ;;
                    *) continue ;;
                esac
                printf '%s\t%s\t%s\n' "$name" "$package_kind" "$out"
            done
        }
        """;

    private const string Main = """
        pool=$1 user=$2 ipxe_deb=$3 ipxe_rpm=$4
        shift 4
        echo "@@vmetal sudo 0"; echo "$sudo_mode"
        os_release() { cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release; }
        init_system() { cat /proc/1/comm; if [ -d /run/systemd/system ]; then echo systemd-booted; fi; }
        cpu() { for k in vendor_id 'model name' 'cpu MHz' flags; do grep -m1 "^$k[[:space:]]*:" /proc/cpuinfo; done; true; }
        threads() { nproc 2>/dev/null || grep -c '^processor' /proc/cpuinfo; }
        memory() { grep -E '^(MemTotal|MemFree|MemAvailable|Buffers|Cached):' /proc/meminfo; }
        disk() { p=$pool; while [ ! -e "$p" ]; do p=$(dirname -- "$p"); done; echo "$p"; df -Pk -- "$p"; }
        kvm_modules() {
            for m in kvm_intel kvm_amd; do
                if [ -d /sys/module/$m ]; then
                    echo "$m nested=$(cat /sys/module/$m/parameters/nested 2>/dev/null) refcnt=$(cat /sys/module/$m/refcnt 2>/dev/null)"
                fi
            done
        }
        nested_config() {
            grep -sHE '^[[:space:]]*options[[:space:]]+kvm[-_](intel|amd)[[:space:]].*nested' \
                /etc/modprobe.d/*.conf /run/modprobe.d/*.conf /usr/lib/modprobe.d/*.conf /lib/modprobe.d/*.conf
            true
        }
        tools() {
            for c in apt-get dnf yum dpkg-query rpm systemctl virsh libvirtd virtqemud virtlogd modprobe flock useradd pkaction restorecon; do
                if p=$(command -v $c); then echo "$c $p"; fi
            done
        }
        repos() {
            if command -v dnf >/dev/null 2>&1; then $t90 dnf -q repolist --enabled 2>/dev/null
            elif command -v yum >/dev/null 2>&1; then $t90 yum -q repolist enabled 2>/dev/null
            elif command -v apt-get >/dev/null 2>&1; then
                for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
                    if [ -f "$f" ]; then echo "# file $f"; grep -v '^[[:space:]]*#' "$f"; fi
                done
                true
            fi
        }
        apt_lists() { ls /var/lib/apt/lists 2>/dev/null | grep -c '_Packages'; }
        # Only when the ROMs are not installed: apt-cache alone takes most of a second.
        ipxe_candidate() {
            case $package_kind in
                deb) if dpkg-query -W -f='${db:Status-Abbrev}' "$ipxe_deb" 2>/dev/null | grep -q '^.i'; then return 0; fi
                    apt-cache policy "$ipxe_deb" ;;
                rpm) if rpm -q --whatprovides "$ipxe_rpm" >/dev/null 2>&1; then return 0; fi
                    if command -v dnf >/dev/null 2>&1; then $t90 dnf -q list --available "$ipxe_rpm"
                    else $t90 yum -q list available "$ipxe_rpm"; fi ;;
            esac
        }
        libvirt_kvm() { asroot $t20 virsh -c qemu:///system domcapabilities --virttype kvm 2>&1 >/dev/null; }
        firmware() {
            for f in /usr/share/OVMF/OVMF_CODE*.fd /usr/share/edk2/ovmf/OVMF_CODE*.fd /usr/share/edk2-ovmf/x64/OVMF_CODE*.fd \
                /usr/share/edk2/x64/OVMF_CODE*.fd /usr/share/qemu/OVMF.fd; do
                if [ -f "$f" ]; then echo "$f"; fi
            done
        }
        section os-release os_release
        section uname uname -srm
        section init init_system
        section threads threads
        section cpu cpu
        section memory memory
        section disk disk
        section dev-kvm ls -lL /dev/kvm
        section kvm-modules kvm_modules
        section nested-config nested_config
        section tools tools
        section packages packages "$@"
        section repos repos
        if [ "$package_kind" = deb ]; then section apt-lists apt_lists; fi
        section ipxe-candidate ipxe_candidate
        libvirt_sections
        if [ "$libvirt_rc" -eq 0 ]; then section libvirt-kvm libvirt_kvm; fi
        section polkit pkaction --version
        section user getent passwd "$user"
        section firmware firmware
        """;

    /// <summary>The command that gathers the facts (as the login user; it elevates only where it must).</summary>
    public static HostCommand Command(FactRequest request)
    {
        var ipxeDeb = PackageSet.For(DistroFamily.Debian)!.IpxePackage;
        var ipxeRpm = PackageSet.For(DistroFamily.El9)!.IpxePackage;
        var arguments = new[] { request.PoolPath, request.UserName, ipxeDeb, ipxeRpm }
            .Concat(PackageSet.QueryTokens(request.ExtraPackages));
        return new HostCommand(ShellScript.Inline(Library + "\n" + Main, arguments)) { Timeout = TimeSpan.FromMinutes(5) };
    }

    /// <summary>A root command that re-probes the libvirt daemon (reachable? running? its systemd units).</summary>
    public static HostCommand LibvirtProbe() =>
        HostCommand.AsRoot(ShellScript.Inline(Library + "\nlibvirt_sections", [])) with { Timeout = TimeSpan.FromMinutes(1) };

    /// <summary>A command that re-queries the given packages (same output as the fact script's packages section).</summary>
    public static HostCommand PackageQuery(IEnumerable<string> names) =>
        new(ShellScript.Inline(Library + "\nsection packages packages \"$@\"",
            names.SelectMany(name => new[] { "deb:" + name, "rpm:" + name })));
}

/// <summary>What the fact script should look at besides the fixed facts.</summary>
public sealed record FactRequest
{
    /// <summary>Directory of the image pool (its free space is reported).</summary>
    public string PoolPath { get; init; } = new Rendering.RenderOptions().PoolPath;

    /// <summary>The unprivileged user prepare creates (reported if it exists).</summary>
    public string UserName { get; init; } = "stack";

    /// <summary>Packages queried in addition to the family's set.</summary>
    public IReadOnlyList<string> ExtraPackages { get; init; } = [];
}

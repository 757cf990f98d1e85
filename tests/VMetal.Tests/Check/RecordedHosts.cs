namespace VMetal.Tests.Check;

/// <summary>
/// Fact-script output recorded verbatim on real hosts. <see cref="DebianSandbox"/> is what
/// <c>FactScript.Command</c> printed on vmetal's sandbox hypervisor: Debian 12 in a network
/// namespace on a 2-vCPU machine whose CPU shows no vmx/svm. It was recorded after the machine's
/// packages were complete; udev, installed with libguestfs-tools, had made /dev/kvm 0660
/// root:kvm, so libvirt offers type='kvm' (through the kernel's kvm_pvm) without vmx/svm.
/// </summary>
internal static class RecordedHosts
{
    public const string DebianSandbox = """
        @@vmetal sudo 0
        nopasswd
        @@vmetal os-release 0
        PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
        NAME="Debian GNU/Linux"
        VERSION_ID="12"
        VERSION="12 (bookworm)"
        VERSION_CODENAME=bookworm
        ID=debian
        HOME_URL="https://www.debian.org/"
        SUPPORT_URL="https://www.debian.org/support"
        BUG_REPORT_URL="https://bugs.debian.org/"
        @@vmetal uname 0
        Linux 6.18.44-fc-v595 x86_64
        @@vmetal init 0
        process_api
        @@vmetal threads 0
        2
        @@vmetal cpu 0
        vendor_id	: AuthenticAMD
        model name	: AMD EPYC
        cpu MHz		: 2596.146
        flags		: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology nonstop_tsc cpuid extd_apicid tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm cmp_legacy cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw topoext vmmcall fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid avx512f avx512dq rdseed adx smap avx512ifma clflushopt clwb avx512cd sha_ni avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves avx512_bf16 clzero xsaveerptr arat avx512vbmi umip avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni avx512_bitalg avx512_vpopcntdq rdpid fsrm
        @@vmetal memory 0
        MemTotal:       24684096 kB
        MemFree:        21614164 kB
        MemAvailable:   23176736 kB
        Buffers:           10400 kB
        Cached:          1761096 kB
        @@vmetal disk 0
        /var/lib/libvirt/images
        Filesystem     1024-blocks     Used Available Capacity Mounted on
        /dev/vda         264212084 15719308  81058664      17% /var/lib/libvirt
        @@vmetal dev-kvm 0
        crw-rw---- 1 root kvm 10, 232 Nov 19 20:36 /dev/kvm
        @@vmetal kvm-modules 0
        @@vmetal nested-config 0
        @@vmetal tools 0
        apt-get /usr/bin/apt-get
        dpkg-query /usr/bin/dpkg-query
        systemctl /usr/bin/systemctl
        virsh /usr/bin/virsh
        libvirtd /usr/sbin/libvirtd
        virtlogd /usr/sbin/virtlogd
        modprobe /usr/sbin/modprobe
        flock /usr/bin/flock
        useradd /usr/sbin/useradd
        pkaction /usr/bin/pkaction
        @@vmetal packages 0
        libvirt-daemon-system	deb	ii  9.0.0-4+deb12u2
        libvirt-clients	deb	ii  9.0.0-4+deb12u2
        qemu-system-x86	deb	ii  1:7.2+dfsg-7+deb12u18+b3
        qemu-utils	deb	ii  1:7.2+dfsg-7+deb12u18+b3
        libguestfs-tools	deb	ii  1:1.48.6-2
        virtinst	deb	ii  1:4.1.0-2
        wget	deb	ii  1.21.3-1+deb12u1
        ipxe-qemu	deb	ii  1.0.0+git-20190125.36a4c85-5.1
        ovmf	deb	ii  2022.11-6+deb12u2
        dnsmasq-base	deb	ii  2.90-4~deb12u2
        @@vmetal repos 0
        # file /etc/apt/sources.list.d/debian.sources
        Types: deb
        URIs: http://deb.debian.org/debian
        Suites: bookworm bookworm-updates
        Components: main
        Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

        Types: deb
        URIs: http://deb.debian.org/debian-security
        Suites: bookworm-security
        Components: main
        Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
        @@vmetal apt-lists 0
        3
        @@vmetal ipxe-candidate 0
        @@vmetal libvirt 0
        Compiled against library: libvirt 9.0.0
        Using library: libvirt 9.0.0
        Using API: QEMU 9.0.0
        Running hypervisor: QEMU 7.2.22
        Running against daemon: 9.0.0
        @@vmetal libvirt-processes 0
        9811 libvirtd
        @@vmetal libvirt-kvm 0
        @@vmetal polkit 0
        pkaction version 122
        @@vmetal user 2
        @@vmetal firmware 0
        /usr/share/OVMF/OVMF_CODE.fd
        /usr/share/OVMF/OVMF_CODE.ms.fd
        /usr/share/OVMF/OVMF_CODE.secboot.fd
        /usr/share/OVMF/OVMF_CODE_4M.fd
        /usr/share/OVMF/OVMF_CODE_4M.ms.fd
        /usr/share/OVMF/OVMF_CODE_4M.secboot.fd
        /usr/share/OVMF/OVMF_CODE_4M.snakeoil.fd
        /usr/share/qemu/OVMF.fd
        """;
}

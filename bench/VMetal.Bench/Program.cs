using VMetal.Bench;

// One sub-command per benchmark; each prints its figures and returns an exit code.
return args.FirstOrDefault() switch
{
    "libvirt" => await LibvirtBenchmark.RunAsync(args[1..]),
    "bmc" => await BmcBenchmark.RunAsync(args[1..]),
    "up" => await UpBenchmark.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage: VMetal.Bench <benchmark> [options]
          libvirt [--rounds N] [--cycles M]   managed libvirt client vs virsh, over SSH to the sandbox
          bmc [--machines N] [--rounds R] [--backend memory|libvirt|both] [--serve PATH]
                                              one BMC service for N machines: RSS, ipmitool and Redfish latency
          up [--reps N] [--noop-reps M] [--settle S] [--binary PATH]   vmetal up / re-up / down of 10 nodes vs a virsh script, on the sandbox
        """);
    return BenchExitCodes.Usage;
}

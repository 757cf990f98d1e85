using VMetal.Bench;

// One sub-command per benchmark; each prints its figures and returns an exit code.
return args.FirstOrDefault() switch
{
    "libvirt" => await LibvirtBenchmark.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage: VMetal.Bench <benchmark> [options]
          libvirt [--rounds N] [--cycles M]   managed libvirt client vs virsh, over SSH to the sandbox
        """);
    return BenchExitCodes.Usage;
}

using System.Text;
using VMetal.Libvirt;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Libvirt;

/// <summary>A domain's serial console through DOMAIN_OPEN_CONSOLE, read as the firmware prints to it.</summary>
public sealed class ConsoleTests(SandboxFixture sandbox)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>SeaBIOS prints to the first serial port (useserial); the console is that port, a pty.</summary>
    private static string SerialDomainXml(string name) => LibvirtSandbox.DomainXml(name,
        extraDevices: "<serial type='pty'><target port='0'/></serial><console type='pty'><target type='serial' port='0'/></console>")
        .Replace("<boot dev='network'/>", "<boot dev='network'/><bios useserial='yes'/>", StringComparison.Ordinal);

    [Fact]
    public async Task The_console_of_a_started_domain_carries_the_firmwares_output_and_takes_input_until_aborted()
    {
        var name = TestNames.Unique("lvcon");
        await using var client = await LibvirtSandbox.ConnectAsync(sandbox, LibvirtRoute.Ssh, Ct);
        try
        {
            var defined = await client.DomainDefineXmlAsync(SerialDomainXml(name), cancellationToken: Ct);
            var notRunning = await Assert.ThrowsAsync<LibvirtException>(() => client.DomainOpenConsoleAsync(defined, cancellationToken: Ct));
            Assert.True(notRunning.IsOperationInvalid, notRunning.ToString());

            // Started paused and resumed once the console is open, so that not even the firmware's first line is missed.
            var domain = await client.DomainCreateAsync(defined, DomainCreateFlags.Paused, Ct);
            await using var console = await client.DomainOpenConsoleAsync(domain, flags: DomainConsoleFlags.Force, cancellationToken: Ct);
            await client.DomainResumeAsync(domain, Ct);

            var output = new StringBuilder();
            var buffer = new byte[4096];
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct))
            {
                deadline.CancelAfter(TimeSpan.FromSeconds(60));
                while (!output.ToString().Contains("No bootable device", StringComparison.Ordinal))
                {
                    var read = await console.ReadAsync(buffer, deadline.Token);
                    Assert.True(read > 0, $"the console ended early after: {output}");
                    output.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }
            }

            Assert.Contains("SeaBIOS (version", output.ToString(), StringComparison.Ordinal);

            // Typing reaches the guest's serial port (SeaBIOS ignores it; the write must still be accepted).
            await console.WriteAsync("\r"u8.ToArray(), Ct);

            // libvirt 9.0 does not end the stream when the domain is destroyed (its pty just goes quiet): the client
            // has to watch the domain's state and abort, which libvirtd confirms.
            await client.DomainDestroyAsync(domain, cancellationToken: Ct);
            await console.AbortAsync(Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
            Assert.Equal(0, await console.ReadAsync(buffer, Ct));
            var stopped = await Assert.ThrowsAsync<LibvirtException>(() => client.DomainOpenConsoleAsync(domain, cancellationToken: Ct));
            Assert.True(stopped.IsOperationInvalid, stopped.ToString());
        }
        finally
        {
            await LibvirtSandbox.CleanupAsync(sandbox, $"destroy {name}", $"undefine {name}");
        }
    }
}

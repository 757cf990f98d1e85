using VMetal.Libvirt;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Libvirt;

/// <summary>
/// Non-root users reach the sandbox's libvirtd through AUTH_POLKIT: allowed by group libvirt
/// (Debian's 60-libvirt.rules) or by a rule of their own, refused otherwise.
/// The users live inside the sandbox (its /etc is an overlay).
/// </summary>
public sealed class PolkitTests(SandboxFixture sandbox)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string HelperAs(string user) => $"sudo -n -u {user} {LibvirtSandbox.HelperCommand}";

    private static string RulePath(string user) => $"/etc/polkit-1/rules.d/50-{user}.rules";

    private async Task CreateUserAsync(string user, string extraOptions = "") =>
        (await sandbox.RunAsync($"useradd -M -N {extraOptions} -s /usr/sbin/nologin {user}", sudo: true))
            .EnsureSuccess(VMetal.Hosting.HostCommand.Of("useradd"), sandbox.Require().Target);

    private async Task DeleteUsersAsync(params string[] users)
    {
        foreach (var user in users)
        {
            await sandbox.RunAsync($"rm -f {RulePath(user)}; for i in 1 2 3 4 5; do userdel {user} 2>/dev/null && break; sleep 0.5; done; true", sudo: true);
        }
    }

    private async Task<string> AssertCanManageAsync(string user)
    {
        await using var client = await LibvirtSandbox.ConnectOverSshAsync(sandbox, HelperAs(user), Ct);
        // Other tests change domains meanwhile; the stock network is a stable thing to find.
        Assert.Contains(await client.ListAllNetworksAsync(cancellationToken: Ct), n => n.Name == "default");
        return await client.GetHostnameAsync(Ct);
    }

    [Fact]
    public async Task A_user_in_group_libvirt_is_authorised_by_polkit()
    {
        var user = TestNames.Unique("lv");
        try
        {
            await CreateUserAsync(user, "-G libvirt");

            Assert.Equal((await sandbox.VirshAsync("hostname")).Trim(), await AssertCanManageAsync(user));
        }
        finally
        {
            await DeleteUsersAsync(user);
        }
    }

    [Fact]
    public async Task A_user_allowed_by_a_polkit_rule_connects_and_one_without_rights_gets_access_denied()
    {
        var allowed = TestNames.Unique("lv");
        var refused = TestNames.Unique("lv");
        try
        {
            await CreateUserAsync(allowed);
            await CreateUserAsync(refused);
            var rule = $$"""
                polkit.addRule(function(action, subject) {
                    if (action.id == "org.libvirt.unix.manage" && subject.user == "{{allowed}}")
                        return polkit.Result.YES;
                });
                """;
            await sandbox.RunAsync($"tee {RulePath(allowed)} >/dev/null", sudo: true, stdin: rule);

            // polkitd picks new rules up by inotify; give it a moment.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await AssertCanManageAsync(allowed);
                    break;
                }
                catch (LibvirtException exception) when (exception.IsAccessDenied && attempt < 20)
                {
                    await Task.Delay(250, Ct);
                }
            }

            var error = await Assert.ThrowsAsync<LibvirtException>(() => LibvirtSandbox.ConnectOverSshAsync(sandbox, HelperAs(refused), Ct));
            Assert.True(error.IsAccessDenied);
            Assert.IsNotType<LibvirtConnectionException>(error);
            Assert.StartsWith("Access denied", error.Message);
            Assert.Contains("org.libvirt.unix.manage", error.Message); // libvirt's own explanation
        }
        finally
        {
            await DeleteUsersAsync(allowed, refused);
        }
    }
}

using VMetal.Hosting;

namespace VMetal.Tests.Hosting;

public sealed class HostTargetTests
{
    [Theory]
    [InlineData("hv01", "root", "hv01", 22)]
    [InlineData("stack@hv01.example.com", "stack", "hv01.example.com", 22)]
    [InlineData("me@10.0.0.5:2222", "me", "10.0.0.5", 2222)]
    [InlineData("me@[2001:db8::1]:2200", "me", "2001:db8::1", 2200)]
    [InlineData("me@2001:db8::1", "me", "2001:db8::1", 22)]
    [InlineData("a@b@host", "a@b", "host", 22)]
    public void Parses_user_address_and_port(string text, string user, string address, int port)
    {
        var target = HostTarget.Parse(text);

        Assert.Equal(new HostTarget(user, address, port), target);
    }

    [Theory]
    [InlineData("")]
    [InlineData("@host")]
    [InlineData("me@")]
    [InlineData("me@host:0")]
    [InlineData("me@host:65536")]
    [InlineData("me@host:ssh")]
    [InlineData("me@[::1")]
    [InlineData("me@[::1]x")]
    [InlineData("me@ho st")]
    public void Rejects_malformed_hosts(string text)
    {
        Assert.Throws<FormatException>(() => HostTarget.Parse(text));
    }

    [Fact]
    public void Local_keyword_selects_this_machine()
    {
        Assert.True(HostTarget.Parse("local").IsLocal);
        Assert.False(HostTarget.Parse("localhost").IsLocal);
    }

    [Theory]
    [InlineData("me@hv:22", "hv", "me@hv")]
    [InlineData("me@hv:2222", "[hv]:2222", "me@hv:2222")]
    [InlineData("me@[::1]:2222", "[::1]:2222", "me@[::1]:2222")]
    public void Names_itself_like_openssh(string text, string knownHostsName, string display)
    {
        var target = HostTarget.Parse(text);

        Assert.Equal(knownHostsName, target.KnownHostsName);
        Assert.Equal(display, target.ToString());
    }
}

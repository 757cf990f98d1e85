using Xunit;

namespace VMetal.Testing;

/// <summary>
/// The self-contained vmetal binary the launcher publishes (artifacts/vmetal/vmetal, or
/// VMETAL_BMC_BINARY): what hypervisors run as the BMC service, and what tests run as a real process.
/// </summary>
public static class VMetalBinary
{
    /// <summary>Its path; skips the test where it was not built, and fails it in CI (where it must be).</summary>
    public static string Require()
    {
        var path = Environment.GetEnvironmentVariable("VMETAL_BMC_BINARY") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../artifacts/vmetal/vmetal"));
        if (!File.Exists(path))
        {
            Assert.False(SandboxFixture.Required, $"no self-contained vmetal binary at {path} (run ./vmetal once, or set VMETAL_BMC_BINARY)");
            Assert.Skip($"no self-contained vmetal binary at {path} (run ./vmetal once, or set VMETAL_BMC_BINARY)");
        }
        return path;
    }
}

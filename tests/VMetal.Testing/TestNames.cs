using System.Security.Cryptography;

namespace VMetal.Testing;

/// <summary>Unique names for objects tests create on the shared sandbox.</summary>
public static class TestNames
{
    /// <summary><c>t-&lt;area&gt;-&lt;6 hex&gt;</c>: short enough for Linux interface names.</summary>
    public static string Unique(string area) => $"t-{area}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
}

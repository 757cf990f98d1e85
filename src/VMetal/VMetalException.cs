namespace VMetal;

/// <summary>The kind of failure, which the CLI turns into its exit code.</summary>
public enum FailureKind
{
    /// <summary>An operation was attempted and failed (exit 1).</summary>
    OperationFailed,

    /// <summary>The input was wrong; nothing was changed (exit 2).</summary>
    BadInput,

    /// <summary>A host check failed (exit 3).</summary>
    ChecksFailed,

    /// <summary>The host could not be reached or authenticated (exit 4).</summary>
    Connection,
}

/// <summary>Base of vmetal's own errors: each knows what kind of failure it is.</summary>
public class VMetalException : Exception
{
    public VMetalException(FailureKind kind, string message, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
    }

    public FailureKind Kind { get; }
}

namespace VMetal.Cli;

/// <summary>vmetal's process exit codes (stable: scripts and CI depend on them).</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>An operation was attempted and failed.</summary>
    public const int OperationFailed = 1;

    /// <summary>Bad input or usage; nothing was changed.</summary>
    public const int BadInput = 2;

    /// <summary>One or more host checks failed.</summary>
    public const int ChecksFailed = 3;

    /// <summary>The host could not be reached or authenticated.</summary>
    public const int CannotConnect = 4;

    /// <summary>Interrupted (Ctrl+C); same convention as shells (128 + SIGINT).</summary>
    public const int Cancelled = 130;

    /// <summary>Stopped by SIGTERM (a CI runner's timeout, kill(1)): 128 + 15.</summary>
    public const int Terminated = 143;

    public static int ForTermination(System.Runtime.InteropServices.PosixSignal? signal) =>
        signal == System.Runtime.InteropServices.PosixSignal.SIGTERM ? Terminated : Cancelled;

    public static int For(FailureKind kind) => kind switch
    {
        FailureKind.BadInput => BadInput,
        FailureKind.ChecksFailed => ChecksFailed,
        FailureKind.Connection => CannotConnect,
        _ => OperationFailed,
    };
}

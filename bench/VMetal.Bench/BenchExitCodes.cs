namespace VMetal.Bench;

internal static class BenchExitCodes
{
    public const int Ok = 0;
    public const int Usage = 2;
    public const int NoTarget = 3;
}

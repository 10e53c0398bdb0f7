using BenchmarkDotNet.Running;

namespace Ntk.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project benchmarks/Ntk.Benchmarks -- --filter '*'</c>, or
/// <c>-- conditional-profile n0,L,n,m [seconds]</c> for the conditional engine's per-step breakdown, or
/// <c>-- engine-ab n0,L,n,m seconds dirA dirB …</c> to compare builds of it in one process (docs/performance.md §0c).
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "conditional-profile") ConditionalProfile.Run(args);
        else if (args.Length > 0 && args[0] == "engine-ab") PairedComparison.Run(args);
        else BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}

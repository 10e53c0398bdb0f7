using BenchmarkDotNet.Running;

namespace Ntk.Benchmarks;

/// <summary>Entry point: <c>dotnet run -c Release --project benchmarks/Ntk.Benchmarks -- --filter '*'</c>.</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}

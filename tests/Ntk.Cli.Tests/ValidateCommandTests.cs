using Ntk.Numerics.Measurement;
using Ntk.Cli.Sweeps;
using Ntk.Cli.Tests.Support;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Networks;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cli.Tests;

public sealed class ValidateCommandTests(ITestOutputHelper output)
{
    private const string Sweep = """
        {
          "name": "depth-vs-angle",
          "seed": 42,
          "trials": 200000,
          "shardTrials": 2000,
          "network": { "inputDim": 10, "depth": [1, 3], "width": 32, "engine": ["auto", "dense"] },
          "inputs": { "kind": "pair", "thetaDegrees": [0, 90] }
        }
        """;

    [Fact]
    public async Task Valid_sweep_prints_settings_points_and_work_and_exits_0()
    {
        using var directory = new TempDirectory();
        var path = directory.Write("sweep.json", Sweep);

        var result = await CliRunner.RunAsync("validate", path);
        output.WriteLine(result.ToString());

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stderr);
        Assert.Contains("depth-vs-angle", result.Stdout);
        Assert.Contains("seed:      42", result.Stdout);
        Assert.Contains("200000 trials per point", result.Stdout);
        Assert.Contains("2000 trials each, 100 per point", result.Stdout);
        Assert.Contains("points:    8", result.Stdout);
        Assert.Contains("conditional (auto)", result.Stdout);
        Assert.Contains("θ (deg)", result.Stdout);
        // 8 point rows, numbered 0..7, each starting with its index.
        var rows = result.Stdout.Split('\n').Where(line => System.Text.RegularExpressions.Regex.IsMatch(line, @"^\s*\d+\s+10\s")).ToList();
        Assert.Equal(8, rows.Count);
        Assert.Contains("1.60e+06 trials", result.Stdout);
        Assert.Equal(["sweep.json"], directory.Listing());
    }

    [Fact]
    public async Task A_data_set_sweep_states_its_memory_and_message_sizes()
    {
        using var directory = new TempDirectory();
        var path = directory.Write("sweep.json", """
            { "trials": 40, "shardTrials": "auto", "network": { "inputDim": 32, "depth": 1, "width": 64 },
              "inputs": { "kind": "sphere", "count": 2048, "seed": 5 } }
            """);
        var result = await CliRunner.RunAsync("validate", path);
        output.WriteLine(result.ToString());
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("recording: kernel, spectrum, activity", result.Stdout);
        Assert.Contains("shards:    1 trials each, 40 per point", result.Stdout);
        // 2,048·2,049/2 kernel entries + 2·2,048 activity entries + 3 spectrum entries, 48 bytes each (moments, min, max).
        Assert.Contains("2102275 statistics, state 101 MB", result.Stdout);
        Assert.Matches(@"per worker thread \d+ MB \(engine buffers \d+ MB\)", result.Stdout);
        Assert.Matches(@"shard result, snapshot, resume seed: up to 101 MB in 77\d chunks of 131 kB each", result.Stdout);
        Assert.Contains("plan sent to workers: 524 kB in 5 chunks", result.Stdout);
    }

    [Fact]
    public async Task Target_standard_error_is_shown_as_an_upper_bound()
    {
        using var directory = new TempDirectory();
        var path = directory.Write("sweep.json", Sweep.Replace("\"trials\": 200000", "\"targetStdErr\": 0.001, \"maxTrials\": 50000"));

        var result = await CliRunner.RunAsync("validate", path);
        output.WriteLine(result.ToString());

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("standard error ≤ 0.001", result.Stdout);
        Assert.Contains("≤ 50000, SE 0.001", result.Stdout);
        Assert.Contains("upper bound", result.Stdout);
    }

    [Fact]
    public async Task Rademacher_warns_on_stderr_and_still_exits_0()
    {
        using var directory = new TempDirectory();
        var path = directory.Write("sweep.json", Sweep.Replace("\"width\": 32", "\"width\": 32, \"weights\": \"rademacher\""));

        var result = await CliRunner.RunAsync("validate", path);
        output.WriteLine(result.ToString());

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("warning: ", result.Stderr);
        Assert.Contains("rademacher has atoms", result.Stderr);
        Assert.Contains("rademacher", result.Stdout);
    }

    [Fact]
    public void Dense_work_per_trial_counts_every_weight()
    {
        // n0 = 2, one hidden layer of 3, one output: P = 3·2 + 1·3 = 9 weights.
        var network = new NetworkSpec(2, [3], WeightLaw.Gaussian);

        var work = WorkEstimate.PerTrial(network, inputCount: 2, EngineKind.Dense);

        Assert.Equal(9, work.Draws);
        // Forward and backward 2·m·P each, plus two m × m Gram matrices of the hidden layer (4·m²·n_1); m = 2 < 8 has
        // no tridiagonalization.
        Assert.Equal(2 * 2 * 9 * 2 + 4 * 4 * 3, work.Flops);
    }

    [Fact]
    public void The_spectrum_adds_four_thirds_m_cubed_from_m_8_and_only_when_recorded()
    {
        var network = new NetworkSpec(2, [3], WeightLaw.Gaussian);
        var with = WorkEstimate.PerTrial(network, inputCount: 8, EngineKind.Dense, StatisticGroups.All);
        var without = WorkEstimate.PerTrial(network, inputCount: 8, EngineKind.Dense, StatisticGroups.Kernel);
        Assert.Equal(4.0 / 3.0 * 512, with.Flops - without.Flops, 9);
    }

    [Fact]
    public void Conditional_work_per_trial_is_n_m_squared_plus_m_cubed_per_layer()
    {
        // Layers of sizes 4, 4, 1 after the input; m = 3.
        var network = NetworkSpec.Uniform(5, 2, 4, WeightLaw.Gaussian);

        var work = WorkEstimate.PerTrial(network, inputCount: 3, EngineKind.Conditional);

        Assert.Equal((4 + 4 + 1) * 3, work.Draws);
        Assert.Equal((4 + 4 + 1) * 9 + 3 * 27 + 4 * 9 * (4 + 4), work.Flops);
    }

    [Fact]
    public void Bench_counts_the_conditional_backward_draws_too()
    {
        // n = 5, 4, 4, 1 and m = 3: forward 3·4 + 3·4 + 3·1 = 27; backward on the Gram path (m ≤ 4, full rank)
        // ρ·n_{l−1}: l = 3: 1·4, l = 2: 3·4. The same as ConditionalGaussianSampler's fills for generic inputs.
        var network = NetworkSpec.Uniform(5, 2, 4, WeightLaw.Gaussian);

        var all = WorkEstimate.PerTrialAllDraws(network, inputCount: 3, EngineKind.Conditional);
        var estimate = WorkEstimate.PerTrial(network, inputCount: 3, EngineKind.Conditional);

        Assert.Equal(27 + 4 + 12, all.Draws);
        // m = 5 > 4 takes the QR path: n = 6, 6, 6, 1: forward 5·6 + 5·6 + 5·1; backward ρ·(n_{l−1} − r_l): 1·1 + 5·1.
        Assert.Equal(65 + 1 + 5, WorkEstimate.PerTrialAllDraws(NetworkSpec.Uniform(6, 2, 6, WeightLaw.Gaussian), 5, EngineKind.Conditional).Draws);
        Assert.Equal(estimate.Flops, all.Flops);
        Assert.Equal(WorkEstimate.PerTrial(network, 3, EngineKind.Dense), WorkEstimate.PerTrialAllDraws(network, 3, EngineKind.Dense));
        // (10, 5, 1024, 2): 10,242 forward + 1,024 + 4 · 2 · 1,024 backward (the bench's largest pair configuration).
        Assert.Equal(19_458, WorkEstimate.PerTrialAllDraws(NetworkSpec.Uniform(10, 5, 1024, WeightLaw.Gaussian), 2, EngineKind.Conditional).Draws);
    }
}

using System.Globalization;
using System.Net.Sockets;
using Ntk.Cli.Tests.Support;
using static Ntk.Cli.Tests.Support.ClusterProcesses;
using Ntk.Tests.Support;
using Xunit;
using Ntk.Cluster.Logging;

namespace Ntk.Cli.Tests;

// Large states and hostile frames: frames stay near Akka's default size and states larger than a frame travel in
// chunks (cluster-config/base.hocon: maximum-frame-size, ntk.cluster.chunk-bytes).
public sealed partial class MultiNodeClusterTests
{
    /// <summary>80 inputs with every statistic group: one point's state is about 410 kB, i.e. four chunks of 128 KiB
    /// (two frames' worth and more), for every shard result, snapshot answer and the final snapshot.</summary>
    private const string DataSetSweep = """
        {
          "name": "multi-node-data-set",
          "seed": 5,
          "trials": 60,
          "shardTrials": 10,
          "network": { "inputDim": 8, "depth": 1, "width": 16 },
          "inputs": { "kind": "sphere", "count": 80, "seed": 3 }
        }
        """;

    [Fact]
    public async Task A_data_set_sweep_whose_states_exceed_a_frame_travels_in_chunks_and_matches_ntk_run()
    {
        using var scenario = ClusterScenario.Create(DataSetSweep);
        var (temp, sweep, config, port, outDir, nodes) = scenario;
        var reference = await ClusterProcesses.ReferenceRunAsync(temp, sweep, workers: 1);
        var coordinator = StartCoordinator(nodes, temp, sweep, outDir, port, config, resume: false, minWorkers: 1);
        StartWorker(nodes, temp, "worker-1", outDir, port, config);
        await ExpectSuccessAsync(coordinator, nodes);
        await ExpectWorkersFinishedAsync(nodes);
        AssertSameResults(reference.Directory, outDir, trialsPerPoint: 60);
        var events = ReadEvents(outDir);
        Assert.DoesNotContain(events, e => e.Name == LogEvents.ChunkedMessageDropped);
        Assert.Equal(6, events.Count(e => e.Name == LogEvents.ShardCompleted));
    }

    [Fact]
    public async Task Four_31_MiB_garbage_frames_grow_the_coordinators_memory_by_at_most_150_MB()
    {
        using var scenario = ClusterScenario.Create(SmallSweep);
        var (temp, sweep, config, port, outDir, nodes) = scenario;
        // It waits for a worker that never comes: a listening coordinator, as anyone who reaches its port sees it.
        var coordinator = StartCoordinator(nodes, temp, sweep, outDir, port, config, resume: false, minWorkers: 1);
        await WaitForAsync(() => ReadEvents(outDir).Any(e => e.Name == LogEvents.NodeStarted), "the coordinator listens", nodes);
        await Task.Delay(2000); // let start-up allocations settle
        var before = ResidentBytes(coordinator.Id);

        const int FrameBytes = 31 << 20;
        var chunk = new byte[1 << 20];
        new Random(31).NextBytes(chunk);
        var sent = 0L;
        for (var frame = 0; frame < 4; frame++)
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port);
            var stream = client.GetStream();
            try
            {
                // Akka.Remote's framing: a 4-byte big-endian length, then the payload.
                var header = new byte[4];
                System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, FrameBytes);
                await stream.WriteAsync(header);
                for (var written = 0; written < FrameBytes; written += chunk.Length)
                {
                    await stream.WriteAsync(chunk).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
                    sent += chunk.Length;
                }
            }
            catch (Exception e) when (e is IOException or SocketException or TimeoutException)
            {
                output.WriteLine($"frame {frame}: the coordinator closed the connection after {sent >> 20} MiB in all ({e.GetType().Name})");
            }
        }
        await Task.Delay(3000);
        var after = ResidentBytes(coordinator.Id);
        output.WriteLine($"coordinator RSS {before / 1e6:F0} MB before, {after / 1e6:F0} MB after four 31 MiB garbage frames ({sent >> 20} MiB accepted by the socket)");
        Assert.False(coordinator.HasExited, coordinator.ToString());
        Assert.True(after - before <= 150_000_000, $"RSS grew by {(after - before) / 1e6:F0} MB");
    }

    /// <summary>VmRSS of a process, from /proc (Linux; the tests run there).</summary>
    private static long ResidentBytes(int processId)
    {
        foreach (var line in File.ReadLines($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        throw new InvalidOperationException("no VmRSS");
    }
}

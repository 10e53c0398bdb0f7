using System.Collections.Immutable;
using Akka.Configuration;
using Ntk.Cluster.Clustering;
using Ntk.Cluster.Tests.Support;
using Xunit;

namespace Ntk.Cluster.Tests.Clustering;

/// <summary>The configuration contract of cluster-config/*.hocon and of the overrides (flags, environment).</summary>
public sealed class ClusterConfigTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ntk-config-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static readonly ClusterNodeOptions Defaults = new(null, null, null, ImmutableArray<SeedAddress>.Empty, null);

    [Fact]
    public void Defaults_bind_loopback_give_the_coordinator_the_aggregator_role_and_keep_the_oldest()
    {
        var config = ClusterHocon.Build(NodeRole.Coordinator, Defaults, "INFO");
        Assert.Equal("127.0.0.1", config.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal(4053, config.GetInt("akka.remote.dot-netty.tcp.port"));
        // The coordinator node always hosts aggregators; worker nodes only when started with --aggregator-journal.
        Assert.Equal(["coordinator", "aggregator"], config.GetStringList("akka.cluster.roles"));
        Assert.Equal("keep-oldest", config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.False(config.GetBoolean("akka.cluster.split-brain-resolver.keep-oldest.down-if-alone"));
        Assert.Equal("coordinator", config.GetString("akka.cluster.split-brain-resolver.keep-oldest.role"));
        Assert.Equal(TimeSpan.FromSeconds(5), config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
        Assert.Equal("aggregator", config.GetString("akka.cluster.sharding.role"));
        Assert.Equal("ddata", config.GetString("akka.cluster.sharding.state-store-mode"));
        Assert.False(config.GetBoolean("akka.cluster.sharding.remember-entities"));
        Assert.Equal("off", config.GetString("akka.cluster.sharding.passivate-idle-entity-after"));
        Assert.Empty(config.GetStringList("akka.cluster.sharding.distributed-data.durable.keys"));
        // Frames stay near Akka's default (128,000 bytes): large states are chunked; a chunk fits in a frame, and a
        // frame fits in the socket buffers.
        var frame = config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size")!.Value;
        Assert.InRange(frame, 128_000, 256 * 1024);
        Assert.True(config.GetByteSize("ntk.cluster.chunk-bytes") + 1024 <= frame);
        Assert.True(config.GetByteSize("akka.remote.dot-netty.tcp.send-buffer-size") >= frame);
        Assert.True(config.GetByteSize("akka.remote.dot-netty.tcp.receive-buffer-size") >= frame);
        // Our messages are bound to our serializers; Akka's JSON serializer is replaced.
        Assert.Equal("ntk-sweep", config.GetString("akka.actor.serialization-bindings.\"Ntk.Cluster.Messages.ISweepMessage, Ntk.Cluster\""));
        Assert.Contains("NoJsonSerializer", config.GetString("akka.actor.serializers.json"));

        var worker = ClusterHocon.Build(NodeRole.Worker, Defaults, "INFO");
        Assert.Equal(["worker"], worker.GetStringList("akka.cluster.roles"));
        Assert.Equal(0, worker.GetInt("akka.remote.dot-netty.tcp.port"));
    }

    [Fact]
    public void Flags_override_the_files_and_an_extra_file_overrides_the_defaults()
    {
        var extra = Path.Combine(_directory, "extra.hocon");
        File.WriteAllText(extra, "ntk.sweep.lease-timeout = 7s\nakka.remote.dot-netty.tcp.port = 1111\n");
        var options = new ClusterNodeOptions("0.0.0.0", "node-7.example", 2552,
            SeedAddress.ParseList("coordinator:4053, 10.0.0.1:4053"), extra);
        var config = ClusterHocon.Build(NodeRole.Worker, options, "INFO", minWorkers: 3);
        Assert.Equal("0.0.0.0", config.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal("node-7.example", config.GetString("akka.remote.dot-netty.tcp.public-hostname"));
        Assert.Equal(2552, config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(["akka.tcp://ntk@coordinator:4053", "akka.tcp://ntk@10.0.0.1:4053"], config.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal(3, config.GetInt("ntk.coordinator.min-workers"));
        Assert.Equal(TimeSpan.FromSeconds(7), ClusterHocon.ActorSettings(config, TimeSpan.Zero).LeaseTimeout);
    }

    [Fact]
    public void Binding_every_interface_without_a_public_name_advertises_a_real_address()
    {
        var config = ClusterHocon.Build(NodeRole.Worker, Defaults with { Hostname = "0.0.0.0" }, "INFO");
        var advertised = config.GetString("akka.remote.dot-netty.tcp.public-hostname");
        Assert.False(string.IsNullOrEmpty(advertised));
        Assert.NotEqual("0.0.0.0", advertised);
    }

    [Theory]
    [InlineData("")]
    [InlineData("host")]
    [InlineData("host:0")]
    [InlineData("host:70000")]
    [InlineData(":4053")]
    public void Malformed_seeds_are_refused(string seeds) =>
        Assert.Throws<FormatException>(() => SeedAddress.ParseList(seeds));

    [Fact]
    public void A_sweep_whose_states_exceed_the_message_budget_is_refused_before_anything_starts()
    {
        var tight = Path.Combine(_directory, "tight.hocon");
        File.WriteAllText(tight, "ntk.cluster.max-message-bytes = 1KiB\n");
        var plan = TestPlans.Fixed(points: 2, trials: 100, shardTrials: 10);
        var error = Assert.Throws<ArgumentException>(() => ClusterSweep.ValidateCoordinator(
            new CoordinatorNodeOptions(Defaults with { ConfigFile = tight }, MinWorkers: 1, Threads: 0, SnapshotInterval: null), plan));
        Assert.Contains("max-message-bytes", error.Message);
        // A chunk that cannot fit in a frame is refused too.
        var wide = Path.Combine(_directory, "wide.hocon");
        File.WriteAllText(wide, "ntk.cluster.chunk-bytes = 1MiB\n");
        error = Assert.Throws<ArgumentException>(() => ClusterSweep.ValidateCoordinator(
            new CoordinatorNodeOptions(Defaults with { ConfigFile = wide }, MinWorkers: 1, Threads: 0, SnapshotInterval: null), plan));
        Assert.Contains("maximum-frame-size", error.Message);
        // The shipped budget takes it.
        ClusterSweep.ValidateCoordinator(new CoordinatorNodeOptions(Defaults, 1, 0, null), plan);
    }

    [Fact]
    public void A_coordinator_with_no_workers_and_no_threads_is_refused()
    {
        var plan = TestPlans.Fixed(points: 1, trials: 10, shardTrials: 10);
        Assert.Throws<ArgumentException>(() => ClusterSweep.ValidateCoordinator(new CoordinatorNodeOptions(Defaults, 0, 0, null), plan));
    }
}

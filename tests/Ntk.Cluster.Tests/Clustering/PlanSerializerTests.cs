using System.Collections.Immutable;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Ntk.Cluster.Clustering;
using Ntk.Cluster.Tests.Support;
using Ntk.Numerics.Engines;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Networks;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cluster.Tests.Clustering;

public sealed class PlanSerializerTests : IDisposable
{
    private readonly ActorSystem _system;
    private readonly PlanSerializer _serializer;
    private readonly ITestOutputHelper _output;

    public PlanSerializerTests(ITestOutputHelper output)
    {
        _output = output;
        // The real node configuration (cluster provider, remoting on a free port, the bindings of base.hocon).
        var config = ClusterHocon.Build(NodeRole.Worker,
            new ClusterNodeOptions("127.0.0.1", null, 0, ImmutableArray<SeedAddress>.Empty, null), "WARNING");
        _system = ActorSystem.Create("ntk", config.WithFallback(ConfigurationFactory.ParseString("akka.stdout-loglevel = OFF")));
        _serializer = (PlanSerializer)_system.Serialization.FindSerializerForType(typeof(SweepPlanResult));
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    /// <summary>Points of every kind the plan encoding has to carry: both engines, a law with a parameter, pair
    /// inputs with angle labels and unlabelled inputs, a standard-error stopping rule, learning rates of the instability
    /// indicators on one point and none on the others.</summary>
    private static SimulationPlan MixedPlan()
    {
        var pair = InputSet.Pair(3, 0.7, 0.2);
        var three = new InputSet(2, [1.0, 0.5, -0.25, 2.0, 1e-300, -3.0]);
        var points = ImmutableArray.Create(
            new SweepPoint(new PointDefinition(0, NetworkSpec.Uniform(3, 2, 8, WeightLaw.Gaussian), pair, EngineKind.Conditional, 99,
                learningRates: [0.1, 1.0, 3e-7, 1e300]), 40.1, 11.5),
            new SweepPoint(new PointDefinition(1, new NetworkSpec(2, [5, 7, 3], WeightLaw.StudentT(4.5)), three, EngineKind.Dense, 99), null, null),
            new SweepPoint(new PointDefinition(2, NetworkSpec.Uniform(3, 1, 4, WeightLaw.Rademacher), pair, EngineKind.Dense, 99), 40.1, 11.5));
        return new SimulationPlan("mixed \"sweep\" ü", 99, 37, StoppingRule.Target(1e-3, 5000), points);
    }

    private SweepPlanResult RoundTrip(SweepPlanResult message)
    {
        Assert.Equal(PlanSerializer.SerializerIdentifier, _serializer.Identifier);
        var bytes = _serializer.ToBinary(message);
        return Assert.IsType<SweepPlanResult>(_serializer.FromBinary(bytes, _serializer.Manifest(message)));
    }

    [Fact]
    public void A_plan_round_trips_field_by_field()
    {
        var plan = MixedPlan();
        var back = RoundTrip(new SweepPlanResult(plan, "abc123")).Plan;
        Assert.Equal(plan.Name, back.Name);
        Assert.Equal(plan.MasterSeed, back.MasterSeed);
        Assert.Equal(plan.ShardTrials, back.ShardTrials);
        Assert.Equal(plan.Stopping, back.Stopping);
        Assert.Equal(plan.Points.Length, back.Points.Length);
        for (var p = 0; p < plan.Points.Length; p++)
        {
            var (a, b) = (plan.Points[p], back.Points[p]);
            Assert.Equal(a.ThetaDegrees, b.ThetaDegrees);
            Assert.Equal(a.PhaseDegrees, b.PhaseDegrees);
            Assert.Equal(a.Definition.PointIndex, b.Definition.PointIndex);
            Assert.Equal(a.Definition.Network, b.Definition.Network);
            Assert.Equal(a.Definition.Inputs, b.Definition.Inputs);
            Assert.Equal(a.Definition.Engine, b.Definition.Engine);
            Assert.Equal(a.Definition.MasterSeed, b.Definition.MasterSeed);
            Assert.Equal(a.Definition.Statistics, b.Definition.Statistics);
            Assert.Equal(a.Definition.LearningRates.Select(BitConverter.DoubleToInt64Bits),
                b.Definition.LearningRates.Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(a.Definition.Layout.Count, b.Definition.Layout.Count);
            // Bit-for-bit: every input coordinate, including subnormal-adjacent ones.
            Assert.Equal(a.Definition.Inputs.Values.Select(BitConverter.DoubleToInt64Bits),
                b.Definition.Inputs.Values.Select(BitConverter.DoubleToInt64Bits));
        }
    }

    [Fact]
    public void A_shard_of_the_received_plan_has_the_same_bytes_as_one_of_the_original()
    {
        var plan = MixedPlan();
        var back = RoundTrip(new SweepPlanResult(plan, "h")).Plan;
        for (var p = 0; p < plan.Points.Length; p++)
        {
            var expected = ShardRunner.Run(plan.Points[p].Definition.CreateSampler(), 37, 20, CancellationToken.None).ToBytes();
            var actual = ShardRunner.Run(back.Points[p].Definition.CreateSampler(), 37, 20, CancellationToken.None).ToBytes();
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void The_sweep_over_flag_round_trips()
    {
        Assert.False(RoundTrip(new SweepPlanResult(TestPlans.Fixed(1, 10, 10), "h")).SweepOver);
        Assert.True(RoundTrip(new SweepPlanResult(TestPlans.Fixed(1, 10, 10), "h", SweepOver: true)).SweepOver);
    }

    [Fact]
    public void The_run_generation_round_trips_so_aggregators_on_worker_nodes_journal_under_the_coordinators_run()
    {
        Assert.Equal(0, RoundTrip(new SweepPlanResult(TestPlans.Fixed(1, 10, 10), "h")).RunGeneration);
        Assert.Equal(7, RoundTrip(new SweepPlanResult(TestPlans.Fixed(1, 10, 10), "h", RunGeneration: 7)).RunGeneration);
    }

    [Fact]
    public void The_request_round_trips_to_its_singleton()
    {
        var bytes = _serializer.ToBinary(GetSweepPlan.Instance);
        Assert.Same(GetSweepPlan.Instance, _serializer.FromBinary(bytes, _serializer.Manifest(GetSweepPlan.Instance)));
    }

    [Fact]
    public void Unknown_manifests_and_damaged_plans_are_rejected()
    {
        var bytes = _serializer.ToBinary(new SweepPlanResult(TestPlans.Fixed(2, 100, 10), "h"));
        var manifest = _serializer.Manifest(new SweepPlanResult(TestPlans.Fixed(2, 100, 10), "h"));
        var unknown = Assert.Throws<SerializationException>(() => _serializer.FromBinary(bytes, "ZZ"));
        _output.WriteLine(unknown.Message);
        Assert.Contains("unknown manifest", unknown.Message);
        Assert.Throws<SerializationException>(() => _serializer.FromBinary(bytes[..^3], manifest));
        Assert.Throws<SerializationException>(() => _serializer.FromBinary([.. bytes, 0], manifest));
        var otherVersion = (byte[])bytes.Clone();
        otherVersion[0] = 1; // version 1 had no statistic groups
        Assert.Throws<SerializationException>(() => _serializer.FromBinary(otherVersion, manifest));
    }

    [Fact]
    public void The_node_configuration_binds_both_protocols_to_our_serializers_only()
    {
        Assert.IsType<PlanSerializer>(_system.Serialization.FindSerializerForType(typeof(GetSweepPlan)));
        Assert.IsType<Serialization.SweepMessageSerializer>(
            _system.Serialization.FindSerializerForType(typeof(Messages.RequestWork)));
    }
}

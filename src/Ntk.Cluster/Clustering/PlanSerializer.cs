using System.Collections.Immutable;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Networks;

namespace Ntk.Cluster.Clustering;

/// <summary>
/// Serializer of <see cref="IClusterWiringMessage"/>: a two-letter manifest per type and a versioned little-endian
/// binary body (no type names on the wire). A plan is written field by field (after the sweep hash, the sweep-over
/// flag and the run generation: name, seed, shard size, stopping rule,
/// and per point: index, input dimension, widths, weight law, resolved engine, seed, statistic groups, inputs, angle
/// labels) and rebuilt
/// through the Numerics constructors, which validate it again. An unknown manifest or format version throws
/// <see cref="SerializationException"/> (remoting logs it and drops the message).
/// </summary>
internal sealed class PlanSerializer : SerializerWithStringManifest
{
    /// <summary>Serializer id; unique in the actor system (SweepMessageSerializer is 4721).</summary>
    public const int SerializerIdentifier = 4722;

    /// <summary>Version of the plan encoding; a node refuses plans of another version.</summary>
    private const byte FormatVersion = 4;

    private const string GetSweepPlanManifest = "GP";
    private const string SweepPlanResultManifest = "PL";

    public PlanSerializer(ExtendedActorSystem system) : base(system) { }

    public override int Identifier => SerializerIdentifier;

    public override string Manifest(object o) => o switch
    {
        GetSweepPlan => GetSweepPlanManifest,
        SweepPlanResult => SweepPlanResultManifest,
        _ => throw new ArgumentException($"{nameof(PlanSerializer)} cannot serialize {o.GetType().FullName}", nameof(o)),
    };

    public override byte[] ToBinary(object obj)
    {
        switch (obj)
        {
            case GetSweepPlan:
                return [];
            case SweepPlanResult result:
                using (var stream = new MemoryStream())
                {
                    using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
                    {
                        w.Write(FormatVersion);
                        w.Write(result.SweepHash);
                        w.Write(result.SweepOver);
                        w.Write(result.RunGeneration);
                        WritePlan(w, result.Plan);
                    }
                    return stream.ToArray();
                }
            default:
                throw new ArgumentException($"{nameof(PlanSerializer)} cannot serialize {obj.GetType().FullName}", nameof(obj));
        }
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        switch (manifest)
        {
            case GetSweepPlanManifest:
                return GetSweepPlan.Instance;
            case SweepPlanResultManifest:
                using (var r = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8))
                {
                    try
                    {
                        var version = r.ReadByte();
                        if (version != FormatVersion)
                            throw new SerializationException(
                                $"{nameof(PlanSerializer)}: plan format version {version}, this node reads version {FormatVersion}");
                        var hash = r.ReadString();
                        var over = r.ReadBoolean();
                        var generation = r.ReadInt32();
                        var plan = ReadPlan(r);
                        if (r.BaseStream.Position != bytes.Length)
                            throw new SerializationException(
                                $"{nameof(PlanSerializer)}: {bytes.Length - r.BaseStream.Position} bytes left unread");
                        return new SweepPlanResult(plan, hash, over, generation);
                    }
                    catch (Exception e) when (e is EndOfStreamException or ArgumentException or FormatException)
                    {
                        throw new SerializationException($"{nameof(PlanSerializer)}: invalid plan: {e.Message}", e);
                    }
                }
            default:
                throw new SerializationException(
                    $"{nameof(PlanSerializer)}: unknown manifest \"{manifest}\" ({bytes.Length} bytes); " +
                    "the sender runs a different version of Ntk.Cluster, or the message is not a cluster wiring message");
        }
    }

    private static void WritePlan(BinaryWriter w, SimulationPlan plan)
    {
        w.Write(plan.Name);
        w.Write(plan.MasterSeed);
        w.Write(plan.ShardTrials);
        w.Write(plan.Stopping.Trials);
        w.Write(plan.Stopping.TargetStdErr is not null);
        w.Write(plan.Stopping.TargetStdErr ?? 0.0);
        w.Write(plan.Stopping.MaxTrials);
        w.Write(plan.Points.Length);
        foreach (var point in plan.Points)
        {
            var definition = point.Definition;
            w.Write(definition.PointIndex);
            w.Write(definition.Network.InputDim);
            w.Write(definition.Network.Widths.Length);
            foreach (var width in definition.Network.Widths) w.Write(width);
            w.Write((byte)definition.Network.Law.Kind);
            w.Write(definition.Network.Law.DegreesOfFreedom);
            w.Write((byte)definition.Engine);
            w.Write(definition.MasterSeed);
            w.Write((byte)definition.Statistics);
            // Version 4: the learning rates of the instability indicators (docs/science.md §7).
            w.Write(definition.LearningRates.Length);
            foreach (var eta in definition.LearningRates) w.Write(eta);
            var values = definition.Inputs.Values;
            w.Write(values.Length);
            foreach (var value in values) w.Write(value);
            WriteOptional(w, point.ThetaDegrees);
            WriteOptional(w, point.PhaseDegrees);
        }
    }

    private static SimulationPlan ReadPlan(BinaryReader r)
    {
        var name = r.ReadString();
        var masterSeed = r.ReadUInt64();
        var shardTrials = r.ReadInt32();
        var trials = r.ReadInt64();
        var hasTarget = r.ReadBoolean();
        var target = r.ReadDouble();
        var maxTrials = r.ReadInt64();
        if (shardTrials < 1) throw new SerializationException($"{nameof(PlanSerializer)}: shard size {shardTrials}");
        var stopping = hasTarget ? StoppingRule.Target(target, maxTrials) : StoppingRule.Fixed(trials);
        var count = ReadCount(r, "points");
        var points = ImmutableArray.CreateBuilder<SweepPoint>(count);
        for (var p = 0; p < count; p++)
        {
            var pointIndex = r.ReadInt32();
            var inputDim = r.ReadInt32();
            var widths = ImmutableArray.CreateBuilder<int>(ReadCount(r, "widths"));
            for (var l = 0; l < widths.Capacity; l++) widths.Add(r.ReadInt32());
            var lawKind = (WeightLawKind)r.ReadByte();
            var degreesOfFreedom = r.ReadDouble();
            var engine = (EngineKind)r.ReadByte();
            var seed = r.ReadUInt64();
            var statistics = (StatisticGroups)r.ReadByte();
            var learningRates = new double[ReadCount(r, "learning rates")];
            for (var i = 0; i < learningRates.Length; i++) learningRates[i] = r.ReadDouble();
            var values = new double[ReadCount(r, "input values")];
            for (var i = 0; i < values.Length; i++) values[i] = r.ReadDouble();
            var theta = ReadOptional(r);
            var phase = ReadOptional(r);
            if (!Enum.IsDefined(lawKind) || !Enum.IsDefined(engine) || engine == EngineKind.Auto)
                throw new SerializationException($"{nameof(PlanSerializer)}: point {pointIndex}: unknown weight law or engine");
            var law = lawKind == WeightLawKind.StudentT ? WeightLaw.StudentT(degreesOfFreedom) : new WeightLaw(lawKind);
            var network = new NetworkSpec(inputDim, widths.MoveToImmutable(), law);
            var inputs = new InputSet(inputDim, ImmutableArray.Create(values));
            points.Add(new SweepPoint(new PointDefinition(pointIndex, network, inputs, engine, seed, statistics, learningRates), theta, phase));
        }
        return new SimulationPlan(name, masterSeed, shardTrials, stopping, points.MoveToImmutable());
    }

    private static int ReadCount(BinaryReader r, string what)
    {
        var count = r.ReadInt32();
        // Each element takes at least 4 bytes: a larger count cannot be genuine and must not allocate.
        if (count < 0 || count > (r.BaseStream.Length - r.BaseStream.Position) / 4)
            throw new SerializationException($"{nameof(PlanSerializer)}: {count} {what} do not fit the message");
        return count;
    }

    private static void WriteOptional(BinaryWriter w, double? value)
    {
        w.Write(value is not null);
        if (value is not null) w.Write(value.Value);
    }

    private static double? ReadOptional(BinaryReader r) => r.ReadBoolean() ? r.ReadDouble() : null;
}

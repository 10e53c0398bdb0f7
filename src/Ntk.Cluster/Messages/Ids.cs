namespace Ntk.Cluster.Messages;

/// <summary>Shard <see cref="ShardIndex"/> of point <see cref="PointIndex"/>: trials
/// [ShardIndex·ShardTrials, (ShardIndex+1)·ShardTrials) of that point (see SimulationPlan.Shard).</summary>
internal readonly record struct ShardId(int PointIndex, int ShardIndex)
{
    public override string ToString() => $"{PointIndex}/{ShardIndex}";
}

/// <summary>Names one worker actor, unique within a sweep (in cluster mode it includes the node address).</summary>
internal readonly record struct WorkerId(string Value)
{
    public override string ToString() => Value;
}

/// <summary>One lease of one shard; a re-issued shard gets a new lease id. Increasing within a coordinator's life.</summary>
internal readonly record struct LeaseId(long Value)
{
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

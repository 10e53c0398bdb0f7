using System.Globalization;
using Akka.Cluster.Sharding;
using Ntk.Cluster.Messages;

namespace Ntk.Cluster.Actors;

/// <summary>
/// Routes <see cref="IPointMessage"/> to the aggregator entity of its point (entity id = point index in invariant
/// digits). Used by the cluster shard region and by the local <see cref="PointEntityParent"/> alike.
/// </summary>
internal sealed class PointMessageExtractor : HashCodeMessageExtractor
{
    public PointMessageExtractor(int maxNumberOfShards) : base(maxNumberOfShards) { }

    public static string EntityIdOf(int pointIndex) => pointIndex.ToString(CultureInfo.InvariantCulture);

    public override string? EntityId(object message) =>
        message is IPointMessage point ? EntityIdOf(point.PointIndex) : null;
}

using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;

namespace Ntk.Cluster.Clustering;

/// <summary>
/// Takes the place of Akka's default JSON serializer (id 1, bound to System.Object) on cluster nodes, so that no
/// message is ever read from the network by a type name it carries: Newtonsoft.Json with type names would instantiate
/// any type a peer names. Serializing refuses every object (our messages have explicit bindings; anything else would
/// have travelled as JSON by accident), and deserializing refuses every payload (remoting logs it and drops the
/// message). Configured in cluster-config/base.hocon (akka.actor.serializers.json).
/// </summary>
internal sealed class NoJsonSerializer : Serializer
{
    public NoJsonSerializer(ExtendedActorSystem system) : base(system) { }

    /// <summary>The constructor Akka uses for serializers that have a serialization-settings section (json has).</summary>
    public NoJsonSerializer(ExtendedActorSystem system, Akka.Configuration.Config config) : base(system) { _ = config; }

    /// <summary>The id of Akka's JSON serializer, which this one replaces.</summary>
    public override int Identifier => 1;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) =>
        throw new SerializationException(
            $"{obj.GetType().FullName} has no serializer binding; only the sweep's own messages may cross the wire");

    public override object FromBinary(byte[] bytes, Type type) =>
        throw new SerializationException(
            $"a JSON-serialized message ({bytes.Length} bytes) was rejected: cluster nodes accept only explicitly bound message types");
}

using System.Collections.Immutable;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Serialization;
using Ntk.Cluster.Clustering;
using Ntk.Cluster.Logging;
using Ntk.Cluster.Tests.Support;
using Serilog;
using Serilog.Events;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cluster.Tests.Clustering;

/// <summary>A message type our nodes do not know, sent under the sweep serializer's id with a manifest it does not
/// have (what a node of another version, or an attacker, would send).</summary>
public sealed record ForgedMessage(string Text);

/// <summary>An unbound type: the sending system falls back to Akka's JSON serializer, which writes its type name.</summary>
public sealed record SmuggledMessage(string Text);

/// <summary>Impersonates SweepMessageSerializer (same id) and writes the unknown manifest "ZZ".</summary>
public sealed class ForgingSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public override int Identifier => Serialization.SweepMessageSerializer.SerializerIdentifier;

    public override string Manifest(object o) => "ZZ";

    public override byte[] ToBinary(object obj) => System.Text.Encoding.UTF8.GetBytes(((ForgedMessage)obj).Text);

    public override object FromBinary(byte[] bytes, string manifest) => new ForgedMessage(System.Text.Encoding.UTF8.GetString(bytes));
}

/// <summary>
/// A node (the real cluster configuration, remoting on 127.0.0.1) receives a message whose manifest its serializer
/// does not know, and one written by Akka's JSON serializer (with a type name): both are rejected and logged, and the
/// node keeps answering over the same connection.
/// </summary>
public sealed class ClusterWireSafetyTests(ITestOutputHelper output)
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Messages_with_an_unknown_manifest_or_a_type_name_are_rejected_and_logged_and_the_node_keeps_working()
    {
        var events = new CollectingSink();
        using var logger = new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(events).CreateLogger();
        var nodeConfig = ClusterHocon.Build(NodeRole.Coordinator,
            new ClusterNodeOptions("127.0.0.1", null, 0, ImmutableArray<SeedAddress>.Empty, null), "INFO");
        var node = ActorSystem.Create("ntk", ActorSystemSetup.Create(
            BootstrapSetup.Create().WithConfig(nodeConfig), new SerilogLoggerSetup(logger)));
        var sender = ActorSystem.Create("sender", ConfigurationFactory.ParseString($$"""
            akka.stdout-loglevel = OFF
            akka.loglevel = WARNING
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            akka.actor.serializers {
              forging = "{{typeof(ForgingSerializer).AssemblyQualifiedName}}"
              ntk-cluster = "Ntk.Cluster.Clustering.PlanSerializer, Ntk.Cluster"
            }
            akka.actor.serialization-bindings {
              "{{typeof(ForgedMessage).AssemblyQualifiedName}}" = forging
              "Ntk.Cluster.Clustering.IClusterWiringMessage, Ntk.Cluster" = ntk-cluster
            }
            """));
        try
        {
            var plan = new SweepPlanResult(TestPlans.Fixed(2, 100, 10), "hash");
            node.ActorOf(PlanServer.Props(plan), ClusterWiring.PlanServerName);
            var address = ((ExtendedActorSystem)node).Provider.DefaultAddress;
            output.WriteLine($"node at {address}");
            var server = sender.ActorSelection(new RootActorPath(address) / "user" / ClusterWiring.PlanServerName);

            // Before: the node answers.
            Assert.IsType<SweepPlanResult>(await server.Ask<SweepPlanResult>(GetSweepPlan.Instance, AnswerTimeout));
            // The forged message: nothing may come back, and the node must log the rejection.
            server.Tell(new ForgedMessage("not a sweep message"));
            var deadline = DateTime.UtcNow + AnswerTimeout;
            while (DateTime.UtcNow < deadline && !events.Events.Any(Mentions("unknown manifest \"ZZ\""))) await Task.Delay(100);
            foreach (var e in events.Events.Where(e => e.Level >= LogEventLevel.Warning)) output.WriteLine($"{e.Level}: {e.RenderMessage()} {e.Exception?.Message}");
            Assert.True(events.Events.Any(Mentions("unknown manifest \"ZZ\"")), "the rejection was not logged");
            // A message the sender's JSON serializer wrote with its type name: rejected too (NoJsonSerializer).
            server.Tell(new SmuggledMessage("a type name on the wire"));
            deadline = DateTime.UtcNow + AnswerTimeout;
            while (DateTime.UtcNow < deadline && !events.Events.Any(Mentions("JSON-serialized message"))) await Task.Delay(100);
            Assert.True(events.Events.Any(Mentions("JSON-serialized message")), "the JSON payload was not rejected and logged");
            // After: the node still answers, and the plan server never saw the forged message.
            var again = await server.Ask<SweepPlanResult>(GetSweepPlan.Instance, AnswerTimeout);
            Assert.Equal(plan.Plan.Points.Length, again.Plan.Points.Length);
            Assert.DoesNotContain(events.Events, e => e.RenderMessage().Contains("dropped by the plan server", StringComparison.Ordinal));
            Assert.False(node.WhenTerminated.IsCompleted);
        }
        finally
        {
            await Task.WhenAll(sender.Terminate(), node.Terminate());
        }
    }

    private static Func<LogEvent, bool> Mentions(string text) => e =>
        e.RenderMessage().Contains(text, StringComparison.Ordinal)
        || (e.Exception?.ToString().Contains(text, StringComparison.Ordinal) ?? false);
}

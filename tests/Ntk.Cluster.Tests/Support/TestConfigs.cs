using Akka.Configuration;
using Ntk.Cluster.Settings;

namespace Ntk.Cluster.Tests.Support;

internal static class TestConfigs
{
    /// <summary>The library's HOCON with every message serialized on every send (as over the wire) and the TestKit's
    /// own logger.</summary>
    public static Config SerializeEverything => ConfigurationFactory.ParseString("""
        akka.actor.serialize-messages = on
        akka.loggers = ["Akka.TestKit.TestEventListener, Akka.TestKit"]
        akka.loglevel = INFO
        akka.stdout-loglevel = WARNING
        """).WithFallback(Ntk.Cluster.Persistence.SweepJournal.InMemory.ToConfig()).WithFallback(SweepHocon.Config);
}

using Akka.Configuration;

namespace Ntk.Cluster.Settings;

/// <summary>The embedded HOCON (Config/sweep.hocon): loggers, serializer bindings, supervision.</summary>
internal static class SweepHocon
{
    private const string ResourceName = "Ntk.Cluster.Config.sweep.hocon";

    /// <summary>The text of Config/sweep.hocon.</summary>
    public static string Text { get; } = Load();

    /// <summary>The shared configuration, parsed.</summary>
    public static Config Config => ConfigurationFactory.ParseString(Text);

    private static string Load()
    {
        using var stream = typeof(SweepHocon).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing from Ntk.Cluster");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

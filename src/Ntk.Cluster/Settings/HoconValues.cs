using Akka.Configuration;

namespace Ntk.Cluster.Settings;

/// <summary>
/// Typed reads of one HOCON key, for the settings records: a missing or malformed value becomes an
/// <see cref="ArgumentException"/> that names the full key (Akka's own exceptions do not say which key).
/// </summary>
internal static class HoconValues
{
    public static T Read<T>(Config section, string sectionPath, string key, Func<Config, string, T> read)
    {
        if (!section.HasPath(key)) throw new ArgumentException($"{sectionPath}.{key} is missing from the configuration");
        try
        {
            return read(section, key);
        }
        catch (Exception e) when (e is FormatException or ConfigurationException or InvalidCastException or OverflowException)
        {
            throw new ArgumentException($"{sectionPath}.{key}: \"{section.GetString(key)}\" is not valid here: {e.Message}", e);
        }
    }

    /// <summary>A duration with a unit (500ms, 5s, 10m).</summary>
    public static TimeSpan Duration(Config section, string sectionPath, string key) =>
        Read(section, sectionPath, key, (c, k) => c.GetTimeSpan(k));

    /// <summary>A duration that may be "off" (→ zero).</summary>
    public static TimeSpan OffOrDuration(Config section, string sectionPath, string key) =>
        Read(section, sectionPath, key, (c, k) =>
            string.Equals(c.GetString(k), "off", StringComparison.OrdinalIgnoreCase) ? TimeSpan.Zero : c.GetTimeSpan(k));
}

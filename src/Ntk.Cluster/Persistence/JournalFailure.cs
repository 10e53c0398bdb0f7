namespace Ntk.Cluster.Persistence;

/// <summary>How a journal error is told to the user: the innermost messages, which say what went wrong
/// ("database or disk is full", "Connection refused"), after the outer one that says where.</summary>
internal static class JournalFailure
{
    /// <summary>The last two distinct messages of the exception chain, joined by ": ".</summary>
    public static string Describe(Exception e)
    {
        var messages = new List<string>();
        for (var x = e; x is not null; x = x.InnerException)
            if (!messages.Contains(x.Message)) messages.Add(x.Message);
        return string.Join(": ", messages.TakeLast(2));
    }
}

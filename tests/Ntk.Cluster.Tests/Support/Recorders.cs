using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace Ntk.Cluster.Tests.Support;

/// <summary>Keeps every snapshot it is given.</summary>
internal sealed class RecordingSink : ISweepResultSink
{
    public ConcurrentQueue<SweepSnapshot> Snapshots { get; } = new();

    public void Publish(SweepSnapshot snapshot) => Snapshots.Enqueue(snapshot);
}

/// <summary>Keeps every progress report and calls <see cref="OnReport"/> for each.</summary>
internal sealed class RecordingProgress : IProgressObserver
{
    public ConcurrentQueue<SweepProgress> Reports { get; } = new();
    public Action<SweepProgress>? OnReport { get; init; }

    public void Report(SweepProgress progress)
    {
        Reports.Enqueue(progress);
        OnReport?.Invoke(progress);
    }
}

/// <summary>Serilog sink that keeps every event, as Serilog's own tests do.</summary>
internal sealed class CollectingSink : ILogEventSink
{
    public ConcurrentQueue<LogEvent> Events { get; } = new();

    public void Emit(LogEvent logEvent) => Events.Enqueue(logEvent);
}

using System.Runtime.InteropServices;

namespace Ntk.Cli.Terminal;

/// <summary>
/// Turns Ctrl-C (SIGINT) and SIGTERM into a cancellation the command handles itself (saving a resumable snapshot)
/// instead of the process dying. Signal handlers run on their own thread and can arrive after the command finished
/// and disposed this object; such a late signal is ignored rather than crashing the process.
/// </summary>
internal sealed class InterruptSignals : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;
    private int _disposed;

    public InterruptSignals(CancellationToken outer)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled by a signal or by the outer token.</summary>
    public CancellationToken Token => _source.Token;

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        if (Volatile.Read(ref _disposed) != 0) return;
        try
        {
            _source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The command finished between the check and the cancel: nothing left to stop.
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _interrupt.Dispose();
        _terminate.Dispose();
        _source.Dispose();
    }
}

namespace Ntk.Numerics.Tests.Support;

/// <summary>
/// Bytes a sampler allocates on this thread per window of trials, after a warm-up. A per-trial allocation shows in
/// every window; a late JIT tier-up (background compilation lags on a loaded machine, e.g. while other test processes
/// run) may allocate once, in one window. So "allocates nothing" is: the smallest window allocates 0 bytes.
/// </summary>
internal static class AllocationProbe
{
    public static long[] BytesPerWindow(Action<long> trial, int warmUp = 200, int window = 200, int windows = 3)
    {
        for (var t = 0; t < warmUp; t++) trial(t);
        var bytes = new long[windows];
        for (var w = 0; w < windows; w++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var t = warmUp + w * window; t < warmUp + (w + 1) * window; t++) trial(t);
            bytes[w] = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        return bytes;
    }
}

using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Ntk.Cluster.Diagnostics;

/// <summary>
/// CPU time of the calling thread (Linux: clock_gettime(CLOCK_THREAD_CPUTIME_ID)); elsewhere the whole process's
/// CPU time, which for a single busy thread is close. Used to tell "slow code" from "a busy machine": on a shared host
/// the wall-clock rate drops when other processes run, the rate per CPU second does not. Used by the workers (the CPU
/// time of each shard in the log) and by `ntk bench`.
/// </summary>
public static class ThreadClock
{
    private const int ClockThreadCpuTime = 3; // CLOCK_THREAD_CPUTIME_ID on Linux
    private const int ClockProcessCpuTime = 2; // CLOCK_PROCESS_CPUTIME_ID on Linux

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>Seconds of CPU time used by this thread so far, or NaN where the platform has no thread clock.</summary>
    public static double ThreadSecondsOrNaN()
    {
        if (!OperatingSystem.IsLinux()) return double.NaN;
        try
        {
            return ClockGetTime(ClockThreadCpuTime, out var time) == 0 ? time.Seconds + time.Nanoseconds * 1e-9 : double.NaN;
        }
        catch (DllNotFoundException)
        {
            return double.NaN;
        }
        catch (EntryPointNotFoundException)
        {
            return double.NaN;
        }
    }

    /// <summary>Seconds of CPU time used by this thread so far (the process's where there is no thread clock).</summary>
    public static double ThreadSeconds()
    {
        var seconds = ThreadSecondsOrNaN();
        return double.IsNaN(seconds) ? ProcessSeconds() : seconds;
    }

    /// <summary>Seconds of CPU time used by the whole process so far (all threads).</summary>
    public static double ProcessSeconds()
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                if (ClockGetTime(ClockProcessCpuTime, out var time) == 0) return time.Seconds + time.Nanoseconds * 1e-9;
            }
            catch (DllNotFoundException)
            {
            }
            catch (EntryPointNotFoundException)
            {
            }
        }
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.TotalSeconds;
    }
}

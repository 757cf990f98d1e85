using System.IO.Pipelines;
using System.Text;

namespace VMetal.Hosting;

/// <summary>
/// SSH.NET's channel streams only read synchronously: an async read on them parks a thread-pool
/// thread until data arrives. A run keeps several such reads pending for minutes (libvirt's
/// stream, the host lock, stderr), which starves the pool on a small machine and turns
/// millisecond calls into half-second waits. These pumps do the blocking reads on dedicated
/// threads instead.
/// </summary>
internal static class BlockingStreamPump
{
    /// <summary>A truly asynchronous stream fed from <paramref name="source"/> by a dedicated thread.</summary>
    public static Stream ToAsyncStream(Stream source, string name)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19, useSynchronizationContext: false));
        StartThread(name, () =>
        {
            var buffer = new byte[64 * 1024];
            try
            {
                int read;
                while ((read = source.Read(buffer, 0, buffer.Length)) > 0)
                {
                    // Blocks while the reader is more than a megabyte behind: back-pressure.
                    if (pipe.Writer.WriteAsync(buffer.AsMemory(0, read)).AsTask().GetAwaiter().GetResult().IsCompleted)
                        break;
                }
                pipe.Writer.Complete();
            }
            catch (Exception ex)
            {
                pipe.Writer.Complete(ex is ObjectDisposedException ? null : ex);
            }
        });
        return pipe.Reader.AsStream();
    }

    /// <summary>Collects the last <paramref name="limit"/> characters of a text stream on a dedicated thread.</summary>
    public static Task CollectText(Stream source, StringBuilder target, int limit, string name)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        StartThread(name, () =>
        {
            var buffer = new byte[4096];
            try
            {
                int read;
                while ((read = source.Read(buffer, 0, buffer.Length)) > 0)
                {
                    lock (target)
                    {
                        target.Append(Encoding.UTF8.GetString(buffer, 0, read));
                        if (target.Length > limit)
                            target.Remove(0, target.Length - limit);
                    }
                }
            }
            catch (Exception ex) when (ex is ObjectDisposedException or IOException or Renci.SshNet.Common.SshException)
            {
                // The channel closed.
            }
            done.TrySetResult();
        });
        return done.Task;
    }

    private static void StartThread(string name, Action body) =>
        new Thread(() => body()) { IsBackground = true, Name = name }.Start();
}

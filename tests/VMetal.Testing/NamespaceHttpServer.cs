using System.Diagnostics;
using System.Globalization;

namespace VMetal.Testing;

/// <summary>
/// A plain HTTP file server on loopback inside the sandbox's network namespace (Python's http.server), so
/// the sandbox hypervisor can download from <see cref="UrlFor"/> without any traffic leaving the machine.
/// It counts the requests it served; disposing stops it (this process, by PID).
/// </summary>
public sealed class NamespaceHttpServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _requests = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private NamespaceHttpServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Request lines served so far, e.g. <c>GET /a/base.qcow2 HTTP/1.1" 200</c>.</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests)
                return [.. _requests];
        }
    }

    /// <summary>Serves <paramref name="directory"/> on 127.0.0.1 inside <paramref name="networkNamespace"/>.</summary>
    public static async Task<NamespaceHttpServer> StartAsync(string networkNamespace, string directory)
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = Random.Shared.Next(20000, 40000);
            var startInfo = new ProcessStartInfo("ip")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { "netns", "exec", networkNamespace, "/usr/bin/python3", "-u", "-m", "http.server",
                         "--bind", "127.0.0.1", "--directory", directory, port.ToString(CultureInfo.InvariantCulture) })
                startInfo.ArgumentList.Add(argument);
            var server = new NamespaceHttpServer(Process.Start(startInfo)!, port);
            server._process.OutputDataReceived += (_, line) =>
            {
                if (line.Data?.Contains("Serving HTTP", StringComparison.Ordinal) == true)
                    server._ready.TrySetResult();
            };
            server._process.ErrorDataReceived += (_, line) =>
            {
                if (line.Data is not { } text)
                    return;
                var request = text.IndexOf("\"GET ", StringComparison.Ordinal);
                if (request >= 0)
                {
                    lock (server._requests)
                        server._requests.Add(text[(request + 1)..]);
                }
            };
            server._process.BeginOutputReadLine();
            server._process.BeginErrorReadLine();
            var exited = server._process.WaitForExitAsync();
            if (await Task.WhenAny(server._ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(20))) == server._ready.Task)
                return server;
            await server.DisposeAsync();
            if (attempt == 4)
                throw new InvalidOperationException("the HTTP server in the sandbox namespace did not start (port taken five times?)");
        }
    }

    public string UrlFor(string relativePath) => $"http://127.0.0.1:{Port}/{relativePath}";

    /// <summary>How many GET requests asked for <paramref name="relativePath"/>.</summary>
    public int GetsOf(string relativePath) => Requests.Count(line => line.StartsWith($"GET /{relativePath} ", StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}

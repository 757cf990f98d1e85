using System.Threading.Channels;

namespace VMetal.Libvirt;

/// <summary>
/// The events of one server-side callback registration. Read them from <see cref="Reader"/>
/// or <see cref="ReadAllAsync"/>; events queue without limit until read. When the connection
/// ends, the reader completes with the <see cref="LibvirtConnectionException"/> that ended it.
/// Dispose to deregister the callback.
/// </summary>
public sealed class LibvirtEventStream<T> : IAsyncDisposable, IEventStreamCompletion
{
    private readonly Channel<T> _events = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly Func<LibvirtEventStream<T>, ValueTask> _deregister;
    private int _disposed;

    internal LibvirtEventStream(Func<LibvirtEventStream<T>, ValueTask> deregister) => _deregister = deregister;

    /// <summary>libvirt's id for this registration (unique per connection).</summary>
    public int CallbackId { get; internal set; }

    public ChannelReader<T> Reader => _events.Reader;

    public IAsyncEnumerable<T> ReadAllAsync(CancellationToken cancellationToken = default) =>
        _events.Reader.ReadAllAsync(cancellationToken);

    internal void Publish(T item) => _events.Writer.TryWrite(item);

    void IEventStreamCompletion.Complete(Exception? error) => _events.Writer.TryComplete(error);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        try
        {
            await _deregister(this);
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }
}

/// <summary>Lets the client end every stream, whatever its event type, when the connection ends.</summary>
internal interface IEventStreamCompletion
{
    void Complete(Exception? error);
}

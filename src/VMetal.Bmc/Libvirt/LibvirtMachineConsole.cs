using VMetal.Bmc.Machines;
using VMetal.Libvirt;

namespace VMetal.Bmc.Libvirt;

/// <summary>
/// A domain's console stream as a machine console. libvirt leaves the stream open (and silent) when the domain stops,
/// so this console aborts it as soon as the backend sees the machine off or gone: reads then return 0, as the
/// interface promises. A stream error also just ends the console; the caller reopens it when the machine runs again.
/// </summary>
internal sealed class LibvirtMachineConsole : IMachineConsole
{
    private readonly IMachineBackend _backend;
    private readonly Guid _id;
    private readonly LibvirtStream _stream;
    private int _ended;

    public LibvirtMachineConsole(IMachineBackend backend, Guid id, LibvirtStream stream)
    {
        _backend = backend;
        _id = id;
        _stream = stream;
        _backend.Changed += OnMachineChanged;
        if (_backend.Find(id)?.Power != PowerState.On)
        {
            _ = EndAsync(); // stopped between the check and the open
        }
    }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await _stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (LibvirtException)
        {
            return 0;
        }
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        }
        catch (LibvirtException error)
        {
            throw new MachineOperationException(
                Volatile.Read(ref _ended) != 0 ? MachineErrorKind.InvalidState : MachineErrorKind.Unavailable, error.Message, error);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _backend.Changed -= OnMachineChanged;
        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    private void OnMachineChanged(object? sender, MachineChangedEventArgs change)
    {
        if (change.Id == _id && change.Current?.Power != PowerState.On)
        {
            _ = EndAsync();
        }
    }

    private async Task EndAsync()
    {
        if (Interlocked.Exchange(ref _ended, 1) == 0)
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}

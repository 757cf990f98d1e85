using VMetal.Libvirt.Rpc;

namespace VMetal.Libvirt.Tests.Rpc;

public class FrameReaderTests
{
    private static byte[] Frame(int payloadLength, byte fill)
    {
        var header = new MessageHeader(RpcConstants.RemoteProgram, 1, 7, MessageType.Reply, 1, MessageStatus.Ok);
        return Fakes.FakeLibvirtServer.Frame(header, w => w.WriteFixedOpaque(Enumerable.Repeat(fill, payloadLength).ToArray()));
    }

    /// <summary>Hands out at most <paramref name="chunk"/> bytes per read, like a slow socket.</summary>
    private sealed class TricklingStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1 << 20)]
    public async Task Frames_are_reassembled_whatever_the_read_sizes(int chunk)
    {
        var small = Frame(4, 0xAA);
        var large = Frame(200_000, 0xBB); // larger than the initial read buffer
        using var reader = new FrameReader(new TricklingStream([.. small, .. large, .. small], chunk));

        Assert.Equal(small, (await reader.ReadFrameAsync(TestContext.Current.CancellationToken))!.Value.ToArray());
        Assert.Equal(large, (await reader.ReadFrameAsync(TestContext.Current.CancellationToken))!.Value.ToArray());
        Assert.Equal(small, (await reader.ReadFrameAsync(TestContext.Current.CancellationToken))!.Value.ToArray());
        Assert.Null(await reader.ReadFrameAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task End_of_stream_inside_a_frame_is_an_error()
    {
        var frame = Frame(100, 1);
        using var reader = new FrameReader(new MemoryStream(frame[..50]));

        var error = await Assert.ThrowsAsync<EndOfStreamException>(async () => await reader.ReadFrameAsync(TestContext.Current.CancellationToken));

        Assert.Contains("middle", error.Message);
    }

    [Fact]
    public async Task End_of_stream_inside_the_length_word_is_an_error()
    {
        using var reader = new FrameReader(new MemoryStream([0, 0]));

        await Assert.ThrowsAsync<EndOfStreamException>(async () => await reader.ReadFrameAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(27u)]
    [InlineData(0x7FFFFFFFu)]
    public async Task Impossible_lengths_are_rejected(uint length)
    {
        var bytes = new byte[64];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, length);
        using var reader = new FrameReader(new MemoryStream(bytes));

        await Assert.ThrowsAsync<InvalidDataException>(async () => await reader.ReadFrameAsync(TestContext.Current.CancellationToken));
    }
}

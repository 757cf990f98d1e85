using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Renci.SshNet;
using Renci.SshNet.Security;

namespace VMetal.Hosting;

/// <summary>
/// A minimal ssh-agent client (list identities, sign), so keys held by the user's agent
/// (<c>SSH_AUTH_SOCK</c>) can authenticate SSH.NET sessions without vmetal reading them.
/// </summary>
public sealed class SshAgent
{
    private const byte RequestIdentities = 11;
    private const byte IdentitiesAnswer = 12;
    private const byte SignRequest = 13;
    private const byte SignResponse = 14;
    private const uint RsaSha2_256 = 2;
    private const uint RsaSha2_512 = 4;

    private readonly string _socketPath;

    public SshAgent(string socketPath) => _socketPath = socketPath;

    public sealed record Identity(byte[] PublicKeyBlob, string Comment)
    {
        public string KeyType => KnownHostsFile.KeyTypeOf(PublicKeyBlob);
    }

    public IReadOnlyList<Identity> ListIdentities()
    {
        var reply = Request([RequestIdentities]);
        if (reply.Length == 0 || reply[0] != IdentitiesAnswer)
            throw new InvalidOperationException("ssh-agent refused to list its keys");
        var reader = new WireReader(reply, 1);
        var count = reader.UInt32();
        var identities = new List<Identity>((int)count);
        for (var i = 0; i < count; i++)
            identities.Add(new Identity(reader.Bytes(), Encoding.UTF8.GetString(reader.Bytes())));
        return identities;
    }

    /// <summary>Signs <paramref name="data"/>; returns the SSH signature blob (algorithm name + signature).</summary>
    public byte[] Sign(byte[] publicKeyBlob, byte[] data, string algorithm)
    {
        var flags = algorithm switch
        {
            "rsa-sha2-256" => RsaSha2_256,
            "rsa-sha2-512" => RsaSha2_512,
            _ => 0u,
        };
        using var message = new MemoryStream();
        message.WriteByte(SignRequest);
        WriteBytes(message, publicKeyBlob);
        WriteBytes(message, data);
        WriteUInt32(message, flags);
        var reply = Request(message.ToArray());
        if (reply.Length == 0 || reply[0] != SignResponse)
            throw new InvalidOperationException("ssh-agent refused to sign (is the key confirmed or locked?)");
        return new WireReader(reply, 1).Bytes();
    }

    /// <summary>Key sources for SSH.NET, one per agent key, offering rsa-sha2 for RSA keys.</summary>
    public IEnumerable<IPrivateKeySource> KeySources() =>
        ListIdentities().Select(identity => (IPrivateKeySource)new AgentKeySource(this, identity));

    private byte[] Request(byte[] payload)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(_socketPath));
        var frame = new byte[4 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)payload.Length);
        payload.CopyTo(frame, 4);
        socket.Send(frame);
        var header = ReceiveExactly(socket, 4);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length > 256 * 1024)
            throw new InvalidOperationException("ssh-agent sent an oversized reply");
        return ReceiveExactly(socket, (int)length);
    }

    private static byte[] ReceiveExactly(Socket socket, int count)
    {
        var buffer = new byte[count];
        var offset = 0;
        while (offset < count)
        {
            var read = socket.Receive(buffer, offset, count - offset, SocketFlags.None);
            if (read == 0)
                throw new InvalidOperationException("ssh-agent closed the connection");
            offset += read;
        }
        return buffer;
    }

    private static void WriteUInt32(Stream stream, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        stream.Write(bytes);
    }

    private static void WriteBytes(Stream stream, byte[] value)
    {
        WriteUInt32(stream, (uint)value.Length);
        stream.Write(value);
    }

    private sealed class WireReader(byte[] data, int offset)
    {
        private int _offset = offset;

        public uint UInt32()
        {
            var value = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(_offset));
            _offset += 4;
            return value;
        }

        public byte[] Bytes()
        {
            var length = (int)UInt32();
            var value = data.AsSpan(_offset, length).ToArray();
            _offset += length;
            return value;
        }
    }

    private sealed class AgentKeySource : IPrivateKeySource
    {
        public AgentKeySource(SshAgent agent, Identity identity)
        {
            HostKeyAlgorithms = identity.KeyType == "ssh-rsa"
                ? [new AgentHostAlgorithm(agent, identity, "rsa-sha2-512"), new AgentHostAlgorithm(agent, identity, "rsa-sha2-256")]
                : [new AgentHostAlgorithm(agent, identity, identity.KeyType)];
        }

        public IReadOnlyCollection<HostAlgorithm> HostKeyAlgorithms { get; }
    }

    private sealed class AgentHostAlgorithm(SshAgent agent, Identity identity, string algorithmName) : HostAlgorithm(algorithmName)
    {
        public override byte[] Data => identity.PublicKeyBlob;

        public override byte[] Sign(byte[] data) => agent.Sign(identity.PublicKeyBlob, data, Name);

        // Only used for server host keys, never for our own authentication keys.
        public override bool VerifySignature(byte[] data, byte[] signature) => throw new NotSupportedException();
    }
}

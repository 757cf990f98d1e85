using VMetal.Libvirt.Xdr;

namespace VMetal.Libvirt.Tests.Xdr;

public class XdrCodecTests
{
    private static byte[] Encode(Action<XdrWriter> write)
    {
        using var writer = new XdrWriter(initialCapacity: 1);
        write(writer);
        return writer.WrittenSpan.ToArray();
    }

    [Fact]
    public void Integers_are_big_endian_and_four_or_eight_bytes()
    {
        var bytes = Encode(w =>
        {
            w.WriteInt(-2);
            w.WriteUInt(0x01020304);
            w.WriteHyper(-3);
            w.WriteUHyper(0x0102030405060708);
            w.WriteBool(true);
        });

        Assert.Equal(Convert.FromHexString("FFFFFFFE" + "01020304" + "FFFFFFFFFFFFFFFD" + "0102030405060708" + "00000001"), bytes);
        var reader = new XdrReader(bytes);
        Assert.Equal(-2, reader.ReadInt());
        Assert.Equal(0x01020304u, reader.ReadUInt());
        Assert.Equal(-3L, reader.ReadHyper());
        Assert.Equal(0x0102030405060708ul, reader.ReadUHyper());
        Assert.True(reader.ReadBool());
        reader.EnsureEnd();
    }

    [Theory]
    [InlineData("", "00000000")]
    [InlineData("a", "00000001" + "61000000")]
    [InlineData("abcd", "00000004" + "61626364")]
    [InlineData("abcde", "00000005" + "6162636465000000")]
    [InlineData("é", "00000002" + "C3A90000")]
    public void Strings_carry_utf8_length_and_pad_to_four_bytes(string value, string hex)
    {
        var bytes = Encode(w => w.WriteString(value));

        Assert.Equal(Convert.FromHexString(hex), bytes);
        var reader = new XdrReader(bytes);
        Assert.Equal(value, reader.ReadString());
        reader.EnsureEnd();
    }

    [Fact]
    public void Optional_strings_have_a_presence_flag()
    {
        var bytes = Encode(w =>
        {
            w.WriteOptionalString(null);
            w.WriteOptionalString("xy");
        });

        Assert.Equal(Convert.FromHexString("00000000" + "00000001" + "00000002" + "78790000"), bytes);
        var reader = new XdrReader(bytes);
        Assert.Null(reader.ReadOptionalString());
        Assert.Equal("xy", reader.ReadOptionalString());
    }

    [Fact]
    public void Opaque_arrays_and_optionals_round_trip()
    {
        var bytes = Encode(w =>
        {
            w.WriteOpaque([1, 2, 3]);
            w.WriteFixedOpaque([9, 8, 7, 6, 5]);
            w.WriteArray([10u, 20u, 30u], static (x, v) => x.WriteUInt(v));
            w.WriteOptional<string>(null, static (x, v) => x.WriteString(v));
            w.WriteOptional("z", static (x, v) => x.WriteString(v));
        });

        Assert.Equal(Convert.FromHexString("00000003010203" + "00" + "0908070605" + "000000"), bytes[..16]);
        var reader = new XdrReader(bytes);
        Assert.Equal(new byte[] { 1, 2, 3 }, reader.ReadOpaque());
        Assert.Equal(new byte[] { 9, 8, 7, 6, 5 }, reader.ReadFixedOpaque(5).ToArray());
        Assert.Equal(new uint[] { 10, 20, 30 }, reader.ReadArray(static (ref XdrReader r) => r.ReadUInt()));
        Assert.Null(reader.ReadOptional(static (ref XdrReader r) => r.ReadString()));
        Assert.Equal("z", reader.ReadOptional(static (ref XdrReader r) => r.ReadString()));
        reader.EnsureEnd();
    }

    [Fact]
    public void Uuid_is_written_in_rfc_byte_order_unlike_the_guid_byte_array_constructor()
    {
        // virsh shows this UUID; libvirt sends its 16 bytes in exactly this order.
        var uuid = Guid.Parse("c7a5fdbd-cdaf-9455-926a-d65c16db1809");
        var wire = Convert.FromHexString("c7a5fdbdcdaf9455926ad65c16db1809");

        Assert.Equal(wire, Encode(w => w.WriteUuid(uuid)));
        var reader = new XdrReader(wire);
        Assert.Equal(uuid, reader.ReadUuid());
        Assert.NotEqual(uuid, new Guid(wire)); // the trap: mixed-endian field order
    }

    [Fact]
    public void Truncated_input_is_an_rpc_error()
    {
        var bytes = Encode(w => w.WriteString("abcdef"))[..6];

        var error = Assert.Throws<LibvirtException>(() => new XdrReader(bytes).ReadString());

        Assert.Equal(LibvirtErrorCode.Rpc, error.Code);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Lengths_beyond_the_limit_are_rejected_before_reading()
    {
        var bytes = Encode(w => w.WriteString("abcdefgh"));

        var error = Assert.Throws<LibvirtException>(() => new XdrReader(bytes).ReadString(maxLength: 4));

        Assert.Contains("limit 4", error.Message);
    }

    [Fact]
    public void Array_counts_that_the_input_cannot_hold_are_rejected()
    {
        var bytes = Convert.FromHexString("7FFFFFFF" + "00000001");

        var error = Assert.Throws<LibvirtException>(() => new XdrReader(bytes).ReadArray(static (ref XdrReader r) => r.ReadInt(), int.MaxValue));

        Assert.Contains("array", error.Message);
    }

    [Fact]
    public void Booleans_other_than_zero_or_one_are_malformed()
    {
        Assert.Throws<LibvirtException>(() => new XdrReader(Convert.FromHexString("00000002")).ReadBool());
    }

    [Fact]
    public void Trailing_bytes_are_reported()
    {
        var error = Assert.Throws<LibvirtException>(() => new XdrReader(new byte[8]).EnsureEnd());

        Assert.Contains("8 unexpected trailing bytes", error.Message);
    }

    [Fact]
    public void Writer_rejects_strings_beyond_the_protocol_limit()
    {
        using var writer = new XdrWriter();

        Assert.Throws<ArgumentException>(() => writer.WriteString(new string('x', 9), maxLength: 8));
    }

    [Fact]
    public void Writer_grows_past_its_initial_buffer()
    {
        var big = new string('q', 100_000);

        var bytes = Encode(w => w.WriteString(big));

        Assert.Equal(big, new XdrReader(bytes).ReadString());
    }
}

namespace VMetal.Libvirt.Xdr;

/// <summary>Reads one value of <typeparamref name="T"/> from an XDR stream.</summary>
public delegate T XdrDecoder<out T>(ref XdrReader reader);

/// <summary>Writes one value of <typeparamref name="T"/> to an XDR stream.</summary>
public delegate void XdrEncoder<in T>(XdrWriter writer, T value);

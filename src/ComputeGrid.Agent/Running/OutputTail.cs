using System.Text;

namespace ComputeGrid.Agent.Running;

/// <summary>
/// The last <see cref="Capacity"/> bytes a job wrote to stdout and stderr together: a ring buffer, so a job that writes
/// gigabytes costs the agent no more memory than one that writes a line.
/// </summary>
internal sealed class OutputTail(int capacity)
{
    private readonly byte[] _ring = new byte[capacity];
    private readonly Lock _gate = new();
    private long _written;

    /// <summary>The most bytes kept.</summary>
    public int Capacity => _ring.Length;

    /// <summary>All bytes ever appended, kept or not.</summary>
    public long Written
    {
        get
        {
            lock (_gate)
            {
                return _written;
            }
        }
    }

    /// <summary>Appends a chunk; only its last <see cref="Capacity"/> bytes can survive.</summary>
    public void Append(ReadOnlySpan<byte> chunk)
    {
        lock (_gate)
        {
            if (chunk.Length > _ring.Length)
            {
                _written += chunk.Length - _ring.Length;
                chunk = chunk[^_ring.Length..];
            }

            var at = (int)(_written % _ring.Length);
            var first = Math.Min(chunk.Length, _ring.Length - at);
            chunk[..first].CopyTo(_ring.AsSpan(at));
            chunk[first..].CopyTo(_ring);
            _written += chunk.Length;
        }
    }

    /// <summary>
    /// The kept bytes as text. A cut through a multi-byte character at the start is dropped rather than shown as a
    /// replacement character, and the result's UTF-8 form never exceeds <see cref="Capacity"/> bytes.
    /// </summary>
    public override string ToString()
    {
        byte[] bytes;
        lock (_gate)
        {
            var kept = (int)Math.Min(_written, _ring.Length);
            bytes = new byte[kept];
            var start = (int)((_written - kept) % _ring.Length);
            var first = Math.Min(kept, _ring.Length - start);
            _ring.AsSpan(start, first).CopyTo(bytes);
            _ring.AsSpan(0, kept - first).CopyTo(bytes.AsSpan(first));
        }

        var skip = 0;
        if (bytes.Length == _ring.Length)
        {
            // The tail was cut: skip continuation bytes (10xxxxxx) of a character whose first byte was overwritten.
            while (skip < bytes.Length && skip < 3 && (bytes[skip] & 0xC0) == 0x80)
            {
                skip++;
            }
        }

        var text = Encoding.UTF8.GetString(bytes, skip, bytes.Length - skip);
        // Invalid bytes decode to U+FFFD (3 bytes each), which can make the text longer than the bytes it came from.
        while (Encoding.UTF8.GetByteCount(text) > _ring.Length)
        {
            text = text[(char.IsHighSurrogate(text[0]) ? 2 : 1)..];
        }

        return text;
    }
}

namespace ComputeGrid.Agent.Sync;

/// <summary>
/// The agent credential: fixed, or read from a file before each sync so an operator can rotate it by replacing the file
/// (no restart needed after a revocation).
/// </summary>
internal sealed class Credential
{
    private readonly string? _fixed;
    private readonly string? _file;

    private Credential(string? value, string? file)
    {
        _fixed = value;
        _file = file;
    }

    /// <summary>A credential given as a value.</summary>
    public static Credential FromValue(string value) => new(value, null);

    /// <summary>A credential kept in <paramref name="file"/> (surrounding white space ignored).</summary>
    public static Credential FromFile(string file) => new(null, file);

    /// <summary>The file it is read from, if any.</summary>
    public string? File => _file;

    /// <summary>The credential now; throws <see cref="IOException"/> when its file cannot be read.</summary>
    public string Current()
    {
        if (_file is null)
        {
            return _fixed!;
        }

        try
        {
            return System.IO.File.ReadAllText(_file).Trim();
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"the credential file {_file} cannot be read: {e.Message}", e);
        }
    }
}

using System.Collections.Concurrent;
using ComputeGrid.Client;
using ComputeGrid.Contracts.Security;
using ComputeGrid.Gateway.Hosting;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Gateway.Security;

/// <summary>
/// The issued keys this gateway has looked up in the pool, by hash, each trusted for
/// <see cref="GatewayOptions.ApiKeyCacheDuration"/> at most and never past its expiry or scheduled revocation. A revoke
/// or rotation through this gateway forgets the key at once; one through another gateway or the SDK is seen within the
/// cache duration. At most <see cref="MaxEntries"/> keys are held; beyond that the cache starts over.
/// </summary>
internal sealed class IssuedKeyCache(IComputeGridClient grid, IOptions<GatewayOptions> options, TimeProvider time)
{
    /// <summary>Most keys held at once.</summary>
    public const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _byHash = new(StringComparer.Ordinal);
    private readonly TimeSpan _duration = options.Value.ApiKeyCacheDuration;
    private long _generation;

    /// <summary>The active issued key with hash <paramref name="sha256"/>, from the cache or the pool; null for none.</summary>
    public async Task<ApiKeyInfo?> FindAsync(string sha256, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_byHash.TryGetValue(sha256, out var cached) && cached.Until > now)
        {
            return cached.Key;
        }

        // A revoke that lands while the pool is asked must win: the answer is kept only if nothing was forgotten meanwhile.
        var generation = Interlocked.Read(ref _generation);
        var match = await grid.Admin.FindApiKeyAsync(sha256, cancellationToken);
        if (match is null)
        {
            _byHash.TryRemove(sha256, out _);
            return null;
        }

        var trust = match.ValidFor < _duration ? match.ValidFor : _duration;
        if (trust > TimeSpan.Zero && Interlocked.Read(ref _generation) == generation)
        {
            if (_byHash.Count >= MaxEntries)
            {
                _byHash.Clear();
            }

            _byHash[sha256] = new Entry(match.Key, time.GetUtcNow() + trust);
        }

        return match.Key;
    }

    /// <summary>Stops trusting <paramref name="keyId"/>: the next request with it asks the pool.</summary>
    public void Forget(string keyId)
    {
        Interlocked.Increment(ref _generation);
        foreach (var (hash, entry) in _byHash)
        {
            if (entry.Key.KeyId == keyId)
            {
                _byHash.TryRemove(hash, out _);
            }
        }
    }

    private sealed record Entry(ApiKeyInfo Key, DateTimeOffset Until);
}

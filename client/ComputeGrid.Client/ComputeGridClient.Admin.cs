using System.Globalization;
using ComputeGrid.Contracts.Audit;
using ComputeGrid.Contracts.Security;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Security;

namespace ComputeGrid.Client;

/// <summary>The SDK's API-key management and audit log, and the audit of every admin action.</summary>
public sealed partial class ComputeGridClient
{
    private AuditActor _actor = AuditActor.Sdk;

    /// <inheritdoc />
    public IComputeGridAdmin As(AuditActor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return new ComputeGridClient(cluster, _policy) { AllowCommands = AllowCommands, _actor = actor };
    }

    /// <inheritdoc />
    public async Task<IssuedApiKey> IssueApiKeyAsync(string tenant, string name, bool allowCommands = false, int expiresInDays = ApiKeyRules.DefaultExpiryDays, CancellationToken cancellationToken = default)
    {
        IssuedApiKey? issued = null;
        await AuditedAsync(AuditActions.ApiKeyIssue, tenant, async () =>
        {
            var errors = ApiKeyRules.Validate(tenant, name ?? string.Empty, expiresInDays);
            if (errors.Count > 0)
            {
                throw new ComputeGridValidationException(errors);
            }

            issued = Checked(await Keys.IssueAsync(tenant, name!, allowCommands, expiresInDays, cancellationToken)).Issued!;
            return $"key {issued.Key.KeyId} ({issued.Key.Name}), allowCommands {issued.Key.AllowCommands.ToString().ToLowerInvariant()}, expires {issued.Key.ExpiresAt:O}";
        });
        return issued!;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ApiKeyInfo>> ListApiKeysAsync(string tenant, CancellationToken cancellationToken = default)
    {
        RequireTenant(tenant);
        return Keys.ListAsync(tenant, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ApiKeyRotation> RotateApiKeyAsync(string tenant, string keyId, TimeSpan grace = default, int? expiresInDays = null, CancellationToken cancellationToken = default)
    {
        ApiKeyRotation? rotation = null;
        await AuditedAsync(AuditActions.ApiKeyRotate, $"{tenant}/{keyId}", async () =>
        {
            var errors = ApiKeyRules.Validate(tenant, name: null, expiresInDays, grace < TimeSpan.Zero ? -1 : (int)Math.Min(int.MaxValue, grace.TotalSeconds));
            if (errors.Count > 0)
            {
                throw new ComputeGridValidationException(errors);
            }

            var result = Checked(await Keys.RotateAsync(tenant, keyId, grace, expiresInDays, cancellationToken));
            rotation = new ApiKeyRotation(result.Issued!, result.Key!);
            return $"replaced by {rotation.Replacement.Key.KeyId}; the old key stops at {rotation.Replaced.RevokedAt:O}";
        });
        return rotation!;
    }

    /// <inheritdoc />
    public async Task<ApiKeyInfo> RevokeApiKeyAsync(string tenant, string keyId, CancellationToken cancellationToken = default)
    {
        // Only a change is audited: revoking a key already revoked answers it as it is and writes nothing.
        if (ApiKeyRules.IsValidTenant(tenant)
            && (await Keys.ListAsync(tenant, cancellationToken)).FirstOrDefault(k => k.KeyId == keyId) is { State: ApiKeyState.Revoked } already)
        {
            return already;
        }

        ApiKeyInfo? revoked = null;
        await AuditedAsync(AuditActions.ApiKeyRevoke, $"{tenant}/{keyId}", async () =>
        {
            RequireTenant(tenant);
            revoked = Checked(await Keys.RevokeAsync(tenant, keyId, cancellationToken)).Key!;
            return (string?)null;
        });
        return revoked!;
    }

    /// <inheritdoc />
    public Task<ApiKeyMatch?> FindApiKeyAsync(string sha256, CancellationToken cancellationToken = default) =>
        ApiKeyRules.IsHash(sha256) ? Keys.FindAsync(sha256.ToLowerInvariant(), cancellationToken) : Task.FromResult<ApiKeyMatch?>(null);

    /// <inheritdoc />
    public Task<AuditPage> GetAuditAsync(int limit = 100, string? cursor = null, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > 500)
        {
            throw new ComputeGridValidationException([new ValidationError("limit", "must be between 1 and 500")]);
        }

        long? before = null;
        if (cursor is not null)
        {
            if (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var c) || c < 1)
            {
                throw new ComputeGridValidationException([new ValidationError("cursor", "is not a cursor this API returned")]);
            }

            before = c;
        }

        return cluster.GetGrain<IAuditLogGrain>(AuditLogKey.National).ListAsync(limit, before, cancellationToken);
    }

    private IApiKeyDirectoryGrain Keys => cluster.GetGrain<IApiKeyDirectoryGrain>(ApiKeyDirectoryKey.National);

    /// <summary>
    /// Carries out an admin action and writes its audit entry: Succeeded with what <paramref name="action"/> returns, or
    /// Refused with the reason when it throws a validation or not-found error (which is then rethrown). The entry is
    /// written whatever the caller's cancellation, once the action's outcome is known.
    /// </summary>
    private async Task AuditedAsync(string name, string target, Func<Task<string?>> action)
    {
        string? detail;
        try
        {
            detail = await action();
        }
        catch (Exception e) when (e is ComputeGridValidationException or ComputeGridNotFoundException)
        {
            var reason = e is ComputeGridValidationException v ? string.Join("; ", v.Errors) : e.Message;
            await cluster.GetGrain<IAuditLogGrain>(AuditLogKey.National).AppendAsync(new AuditRecord(_actor, name, target, AuditOutcome.Refused, reason), CancellationToken.None);
            throw;
        }

        await cluster.GetGrain<IAuditLogGrain>(AuditLogKey.National).AppendAsync(new AuditRecord(_actor, name, target, AuditOutcome.Succeeded, detail), CancellationToken.None);
    }

    private static ApiKeyResult Checked(ApiKeyResult result)
    {
        if (result.NotFound)
        {
            throw new ComputeGridNotFoundException(string.Join("; ", result.Errors.Select(e => e.Reason)));
        }

        return result.Succeeded ? result : throw new ComputeGridValidationException(result.Errors);
    }

    private static void RequireTenant(string tenant)
    {
        if (!ApiKeyRules.IsValidTenant(tenant))
        {
            throw new ComputeGridValidationException([new ValidationError("tenant", $"must be 1-{ApiKeyRules.MaxNameLength} characters of a-z, 0-9 and '-', starting with a letter or digit")]);
        }
    }
}

using ComputeGrid.Client;
using ComputeGrid.Contracts.Audit;
using ComputeGrid.Contracts.Security;
using ComputeGrid.Domain.Security;

namespace ComputeGrid.Grains.Tests;

/// <summary>Issued API keys (as hashes) and the audit log survive their grains' deactivation, and keep their rules.</summary>
[Collection(GridCollection.Name)]
public sealed class ApiKeyAndAuditPersistenceTests(GridClusterFixture fixture)
{
    private IComputeGridClient Grid => fixture.Grid;

    private IGrainFactory Grains => fixture.Cluster.Client;

    [Fact]
    public async Task Issued_rotated_and_revoked_keys_are_unchanged_after_the_directory_reactivates()
    {
        var kept = await Grid.Admin.IssueApiKeyAsync("persist-keys", "kept", allowCommands: true, expiresInDays: 30);
        var gone = await Grid.Admin.IssueApiKeyAsync("persist-keys", "gone");
        var rolled = await Grid.Admin.IssueApiKeyAsync("persist-keys", "rolled");
        await Grid.Admin.RevokeApiKeyAsync("persist-keys", gone.Key.KeyId);
        var rotation = await Grid.Admin.RotateApiKeyAsync("persist-keys", rolled.Key.KeyId, grace: TimeSpan.FromHours(1));
        var before = await Grid.Admin.ListApiKeysAsync("persist-keys");

        await fixture.Cluster.DeactivateAsync(Grains.GetGrain<IApiKeyDirectoryGrain>(ApiKeyDirectoryKey.National));

        Assert.Equal(before, await Grid.Admin.ListApiKeysAsync("persist-keys"));
        Assert.Equal(kept.Key.KeyId, (await Grid.Admin.FindApiKeyAsync(ApiKeyRules.HashOf(kept.Secret)))?.Key.KeyId);
        Assert.Null(await Grid.Admin.FindApiKeyAsync(ApiKeyRules.HashOf(gone.Secret)));
        Assert.NotNull(await Grid.Admin.FindApiKeyAsync(ApiKeyRules.HashOf(rolled.Secret)));
        Assert.NotNull(await Grid.Admin.FindApiKeyAsync(ApiKeyRules.HashOf(rotation.Replacement.Secret)));
    }

    [Fact]
    public async Task The_directory_keeps_only_hashes_and_never_returns_a_secret_again()
    {
        var issued = await Grid.Admin.IssueApiKeyAsync("persist-hash", "hash-only");

        var listed = Assert.Single(await Grid.Admin.ListApiKeysAsync("persist-hash"));
        var found = await Grid.Admin.FindApiKeyAsync(ApiKeyRules.HashOf(issued.Secret));

        Assert.True(ApiKeyRules.IsIssuedForm(issued.Secret));
        Assert.DoesNotContain(issued.Secret, listed.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(issued.Secret, found!.ToString(), StringComparison.Ordinal);
        Assert.Null(await Grid.Admin.FindApiKeyAsync(issued.Secret));
    }

    [Fact]
    public async Task Bad_key_requests_throw_typed_exceptions_naming_the_field()
    {
        var badTenant = await Assert.ThrowsAsync<ComputeGridValidationException>(() => Grid.Admin.IssueApiKeyAsync("Not A Tenant", "x"));
        var badExpiry = await Assert.ThrowsAsync<ComputeGridValidationException>(() => Grid.Admin.IssueApiKeyAsync("persist-bad", "x", expiresInDays: 0));
        var badGrace = await Assert.ThrowsAsync<ComputeGridValidationException>(() => Grid.Admin.RotateApiKeyAsync("persist-bad", "k-000000000000", TimeSpan.FromDays(31)));
        await Assert.ThrowsAsync<ComputeGridNotFoundException>(() => Grid.Admin.RevokeApiKeyAsync("persist-bad", "k-000000000000"));
        await Assert.ThrowsAsync<ComputeGridNotFoundException>(() => Grid.Admin.RotateApiKeyAsync("persist-bad", "k-000000000000"));

        Assert.Equal("tenant", badTenant.Field);
        Assert.Equal("expiresInDays", badExpiry.Field);
        Assert.Equal("graceSeconds", badGrace.Field);
    }

    [Fact]
    public async Task Another_tenants_key_cannot_be_revoked_by_naming_its_id()
    {
        var issued = await Grid.Admin.IssueApiKeyAsync("persist-owner", "mine");

        await Assert.ThrowsAsync<ComputeGridNotFoundException>(() => Grid.Admin.RevokeApiKeyAsync("persist-other", issued.Key.KeyId));

        Assert.NotNull(await Grid.Admin.FindApiKeyAsync(ApiKeyRules.HashOf(issued.Secret)));
    }

    [Fact]
    public async Task The_audit_log_survives_reactivation_across_pages_and_reads_newest_first()
    {
        var first = (await Grid.Admin.GetAuditAsync(limit: 1)).Entries is [var last, ..] ? last.Sequence : 0;
        var log = Grains.GetGrain<IAuditLogGrain>(AuditLogKey.National);
        for (var i = 0; i < AuditPageSize.Entries + 10; i++)
        {
            await log.AppendAsync(new AuditRecord(AuditActor.Sdk, AuditActions.DataCenterDrain, $"persist-audit-{i}", AuditOutcome.Succeeded));
        }

        await fixture.Cluster.DeactivateAsync(log);
        await Assert.ThrowsAsync<ComputeGridNotFoundException>(() => Grid.Admin.RevokeAgentAsync("guian", "no-such-agent"));

        var newest = await Grid.Admin.GetAuditAsync(limit: 2);
        var all = new List<AuditEntry>();
        string? cursor = null;
        do
        {
            var page = await Grid.Admin.GetAuditAsync(limit: 100, cursor: cursor);
            all.AddRange(page.Entries);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal(("agent.revoke", "guian/no-such-agent", AuditOutcome.Refused), (newest.Entries[0].Record.Action, newest.Entries[0].Record.Target, newest.Entries[0].Record.Outcome));
        Assert.Equal($"persist-audit-{AuditPageSize.Entries + 9}", newest.Entries[1].Record.Target);
        Assert.Equal(first + AuditPageSize.Entries + 11, newest.Entries[0].Sequence);
        Assert.Equal(Enumerable.Range(1, (int)newest.Entries[0].Sequence).Select(i => (long)i).Reverse(), all.Select(e => e.Sequence));
    }
}

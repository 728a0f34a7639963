namespace ComputeGrid.Gateway.Security;

/// <summary>
/// The development keys (configured in the hosts' <c>appsettings.Development.json</c> and published in the docs). Their
/// secrets are public, so outside the Development environment a configured key with one of these hashes stops start-up.
/// </summary>
public static class DevelopmentKeys
{
    /// <summary>The development operator key (tenant <c>operators</c>).</summary>
    public const string Operator = "cg-dev-operator";

    /// <summary>The development partner key of tenant <c>acme</c>.</summary>
    public const string PartnerAcme = "cg-dev-partner-acme";

    /// <summary>The development partner key of tenant <c>acme</c> that may submit jobs with a command.</summary>
    public const string PartnerAcmeCommands = "cg-dev-partner-acme-cmd";

    private static readonly HashSet<string> Hashes = new(new[] { Operator, PartnerAcme, PartnerAcmeCommands }.Select(ApiKeyHash.Of), StringComparer.OrdinalIgnoreCase);

    /// <summary>True when <paramref name="sha256"/> is the hash of a development key (in either case).</summary>
    public static bool IsDevelopmentHash(string sha256) => Hashes.Contains(sha256);
}
